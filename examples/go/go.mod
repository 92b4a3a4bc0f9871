module example.com/mid-examples

go 1.21
