module github.com/gpuenc/gpuenc

go 1.26
