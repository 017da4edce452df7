package main

import (
	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/experiments/boundaries"
	"github.com/ablate-ml/ablate/experiments/mnist"
	"github.com/ablate-ml/ablate/experiments/ood"
	"github.com/ablate-ml/ablate/experiments/preference"
)

// studies lists the studies this binary can run, by the name experiment
// files give in `study = "..."`.
func studies() []experiment.Study {
	return []experiment.Study{
		boundaries.Study{},
		mnist.Study{},
		ood.Study{},
		preference.Study{},
	}
}
