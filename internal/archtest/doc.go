// Package archtest holds the test that keeps the dependency arrows of DESIGN.md
// true: tensor <- autodiff <- nn <- optim/train <- experiments/<study> <-
// experiment <- cmd, with sdk/ and plugins/ free of core/.
package archtest
