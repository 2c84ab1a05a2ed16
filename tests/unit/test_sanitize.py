from msb_tui.sanitize import plain, safe_text, strip_controls


def test_markup_is_literal():
    for line in ["[bold]x", "ls [/]", "[@click=app.quit]boom[/]"]:
        assert safe_text(line).plain == line


def test_osc_title_and_cursor_moves_are_dropped_but_colours_kept():
    line = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m done\x1b[5A"
    assert strip_controls(line) == "\x1b[31mred\x1b[0m done"
    text = safe_text(line)
    assert text.plain == "red done"
    assert text.spans and text.spans[0].style.color.number == 1


def test_control_characters_and_invalid_utf8():
    assert plain(b"a\x00b\x07c\xffd\r") == "abc\ufffdd"
    assert plain("x\x1b") == "x"
    assert plain("\x1bPdcs payload\x1b\\ok") == "ok"
