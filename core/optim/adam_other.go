//go:build !amd64 || purego

package optim

var adamVector = false

func adamAVX(w, g []float32, m, v []float64, k *adamKernel) {
	panic("optim: no vector Adam on this architecture")
}
