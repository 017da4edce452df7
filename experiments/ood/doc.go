// Package ood is the ood study: layer-wise gradient norms of a generative
// model's log-likelihood as features for out-of-distribution detection
// (Dauncey, Holmes, Williams, Falck, TMLR 2024, arXiv 2403.01485), starting
// from the likelihood paradox of Nalisnick et al. (2019).
//
// A RealNVP-style flow (affine couplings with MLP conditioners,
// checkerboard masks, tanh-bounded scales; seven parameter tensors per
// coupling) is trained on dequantised, logit-transformed Fashion-MNIST.
// Each parameter tensor gives one feature: the squared L2 norm of the
// gradient of the summed NLL of B consecutive examples, computed for all
// groups at once from the layers' inputs and output gradients (no
// per-example gradient is formed). A density estimator plugin fitted on
// the log-features of held-out in-distribution data scores new batches.
// Baselines are the likelihood and the Typicality test.
package ood
