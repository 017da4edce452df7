// Package mnist is a small, real study: a one-hidden-layer MLP (784-H-10,
// ReLU, softmax cross-entropy) trained with SGD and momentum on MNIST or
// Fashion-MNIST. It exists so that experiment files, sweeps, the results
// store and `ablate compare` can be tried end to end in about a minute
// (experiments/quickstart.toml).
//
// Settings (experiment-file keys; zero values mean the defaults shown):
//
//	[data]  set = "mnist" | "fashion-mnist" ("mnist"), train = 10000
//	        examples, test = 2000 (found where core/data looks; see
//	        `ablate data`)
//	[model] hidden = 64
//	[train] steps = 500, batch = 64, lr = 0.05, momentum = 0.9,
//	        eval_every = 100
//
// Metrics: train loss every step; test loss and accuracy every eval_every
// steps. Summary: test_acc, test_loss, train_loss, params, seconds. Plots:
// the learning curves.
//
// Everything is float32 with fixed loop orders and seeded streams, so the
// same run writes the same metrics bit for bit.
package mnist
