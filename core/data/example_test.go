package data_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/data"
)

func ExampleBatcher() {
	b := data.NewBatcher(data.Batches{N: 5, Size: 2, Shuffle: true, Seed: 1})
	for range 3 {
		fmt.Println(b.Next())
	}
	epoch, offset := b.Position() // store these two in a checkpoint
	resumed := data.NewBatcher(data.Batches{N: 5, Size: 2, Shuffle: true, Seed: 1})
	resumed.Seek(epoch, offset)
	fmt.Println(resumed.Next(), b.Next())
	fmt.Println(resumed.Next(), b.Next())
	// Output:
	// [1 0]
	// [3 4]
	// [2]
	// [1 0] [1 0]
	// [2 3] [2 3]
}

func ExampleInverted() {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := data.UniformNoise(rng, 2, 2, 2)
	inv := data.Inverted(noise)
	fmt.Println(noise.Pixels[0]+inv.Pixels[0], noise.N, inv.Dim())
	// Output: 255 2 4
}
