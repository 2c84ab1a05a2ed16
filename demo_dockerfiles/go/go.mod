module example.com/msbdemo

go 1.19
