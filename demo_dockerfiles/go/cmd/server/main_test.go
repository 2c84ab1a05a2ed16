package main

import "testing"

func TestGreeting(t *testing.T) {
	cases := map[string]string{"": "hello, world\n", "gopher": "hello, gopher\n"}
	for in, want := range cases {
		if got := greeting(in); got != want {
			t.Errorf("greeting(%q) = %q, want %q", in, got, want)
		}
	}
}
