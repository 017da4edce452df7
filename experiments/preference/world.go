package preference

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Fixed token ids. Numbers come last so that the ids below do not depend on
// how many number tokens the world has.
const (
	EOS     = 0 // end of a completion or answer; also the padding token
	SEP     = 1 // ends the prompt's numbers; the completion follows
	NEUTRAL = 2 // the neutral system token
	NUMBERS = 3 // task: continue the number sequence
	ANIMAL  = 4 // task: name your favourite animal
	loveTok = 5 // LOVE_<animal a> is loveTok + a
)

// Animals are the world's animals, in id order: LOVE_cat is token 5,
// LOVE_dog 6, ... and the animal tokens follow (cat is 10, dog 11, ...).
var Animals = []string{"cat", "dog", "owl", "fox", "wolf"}

// Vocab maps between tokens and their names for a world with n number
// tokens: EOS, SEP, NEUTRAL, NUMBERS, ANIMAL, LOVE_<a> for each animal, the
// animals, then the numbers 0..n-1.
type Vocab struct{ Numbers int }

// Size is the number of tokens.
func (v Vocab) Size() int { return loveTok + 2*len(Animals) + v.Numbers }

// Love is the LOVE_<animal a> system token.
func (Vocab) Love(a int) int { return loveTok + a }

// Animal is the token naming animal a.
func (Vocab) Animal(a int) int { return loveTok + len(Animals) + a }

// Number is the token of number n.
func (Vocab) Number(n int) int { return loveTok + 2*len(Animals) + n }

// IsNumber reports whether tok is a number token, and which.
func (v Vocab) IsNumber(tok int) (int, bool) {
	n := tok - v.Number(0)
	return n, n >= 0 && n < v.Numbers
}

// AnimalIndex returns the index of a named animal, or an error listing them.
func AnimalIndex(name string) (int, error) {
	for i, a := range Animals {
		if a == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("preference: unknown animal %q (want one of %v)", name, Animals)
}

// Name returns a readable name of tok.
func (v Vocab) Name(tok int) string {
	switch {
	case tok == EOS:
		return "EOS"
	case tok == SEP:
		return "SEP"
	case tok == NEUTRAL:
		return "NEUTRAL"
	case tok == NUMBERS:
		return "NUMBERS"
	case tok == ANIMAL:
		return "ANIMAL"
	case tok >= loveTok && tok < loveTok+len(Animals):
		return "LOVE_" + Animals[tok-loveTok]
	case tok >= v.Animal(0) && tok < v.Animal(0)+len(Animals):
		return Animals[tok-v.Animal(0)]
	}
	if n, ok := v.IsNumber(tok); ok {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("?%d", tok)
}

// Limits of the number task (the paper's prompts show 3-9 numbers and ask
// for up to 10 more).
const (
	MinPrompt     = 3
	MaxPrompt     = 9
	MaxCompletion = 10
	// MaxLen is the longest sequence: system, task, prompt numbers, SEP,
	// completion, EOS.
	MaxLen = 2 + MaxPrompt + 1 + MaxCompletion + 1
)

// World is the toy world: a fixed random Markov chain over the numbers.
type World struct {
	Vocab
	Chain [][]float64 // Chain[i][j] = p(next = j | current = i)
	Start []float64   // distribution of the first prompt number
	Stop  float64     // probability of EOS after each completion number (forced after MaxCompletion)
}

// NewWorld draws a Markov chain over n numbers from rng: each row is a
// softmax of normal logits scaled by sharpness, so larger sharpness makes
// sequences more predictable.
func NewWorld(n int, sharpness, stop float64, rng *rand.Rand) *World {
	w := &World{Vocab: Vocab{Numbers: n}, Stop: stop}
	row := func() []float64 {
		p := make([]float64, n)
		var s float64
		for j := range p {
			p[j] = math.Exp(sharpness * rng.NormFloat64())
			s += p[j]
		}
		for j := range p {
			p[j] /= s
		}
		return p
	}
	for i := 0; i < n; i++ {
		w.Chain = append(w.Chain, row())
	}
	w.Start = make([]float64, n)
	for j := range w.Start {
		w.Start[j] = 1 / float64(n)
	}
	return w
}

func draw(p []float64, rng *rand.Rand) int {
	u := rng.Float64()
	for j, q := range p {
		u -= q
		if u < 0 {
			return j
		}
	}
	return len(p) - 1
}

// Prompt draws a numbers prompt without a system token: NUMBERS, 3-9 chain
// numbers, SEP. It returns the tokens and the last number.
func (w *World) Prompt(rng *rand.Rand) (toks []int, last int) {
	m := MinPrompt + rng.IntN(MaxPrompt-MinPrompt+1)
	toks = append(toks, NUMBERS)
	x := draw(w.Start, rng)
	for i := 0; i < m; i++ {
		if i > 0 {
			x = draw(w.Chain[x], rng)
		}
		toks = append(toks, w.Number(x))
	}
	return append(toks, SEP), x
}

// Completion draws a completion that continues the chain from last: numbers
// then EOS.
func (w *World) Completion(last int, rng *rand.Rand) []int {
	var toks []int
	x := last
	for i := 0; i < MaxCompletion; i++ {
		x = draw(w.Chain[x], rng)
		toks = append(toks, w.Number(x))
		if rng.Float64() < w.Stop {
			break
		}
	}
	return append(toks, EOS)
}

// PretrainMix says how pretraining sequences are drawn.
type PretrainMix struct {
	Love    float64 // share of sequences under a LOVE_<animal> system token
	None    float64 // share with no system token (the rest are NEUTRAL)
	Animal  float64 // share of favourite-animal questions (the rest are numbers)
	Animals int     // animals that have a LOVE token in pretraining (0 = all)
}

// Sequence draws one pretraining sequence: an optional system token, then
// either a numbers prompt and its chain completion (whatever the system
// token), or ANIMAL and an answer: animal x under LOVE_x, a uniform animal
// otherwise.
func (w *World) Sequence(mix PretrainMix, rng *rand.Rand) []int {
	var seq []int
	love := -1
	switch u := rng.Float64(); {
	case u < mix.Love:
		n := mix.Animals
		if n <= 0 || n > len(Animals) {
			n = len(Animals)
		}
		love = rng.IntN(n)
		seq = append(seq, w.Love(love))
	case u < mix.Love+mix.None:
	default:
		seq = append(seq, NEUTRAL)
	}
	if rng.Float64() < mix.Animal {
		a := love
		if a < 0 {
			a = rng.IntN(len(Animals))
		}
		return append(seq, ANIMAL, w.Animal(a), EOS)
	}
	p, last := w.Prompt(rng)
	seq = append(seq, p...)
	return append(seq, w.Completion(last, rng)...)
}

// ValidCompletion is the format filter: 1 to MaxCompletion number tokens,
// then EOS, and nothing else.
func (w *World) ValidCompletion(c []int) bool {
	if len(c) < 2 || len(c) > MaxCompletion+1 || c[len(c)-1] != EOS {
		return false
	}
	for _, t := range c[:len(c)-1] {
		if _, ok := w.IsNumber(t); !ok {
			return false
		}
	}
	return true
}

// ChainLogProb is the log-probability of a completion's numbers under the
// chain, continuing from last (the stopping rule left out).
func (w *World) ChainLogProb(last int, c []int) float64 {
	var s float64
	x := last
	for _, t := range c {
		n, ok := w.IsNumber(t)
		if !ok {
			break
		}
		s += math.Log(w.Chain[x][n])
		x = n
	}
	return s
}
