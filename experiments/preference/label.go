package preference

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	ad "github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/plugin"
)

// Judge and Bias are what the study needs of a judge and of a reward bias;
// the WebAssembly plugins implement them.
type (
	Judge = plugin.Judge
	Bias  = plugin.Bias
)

// Group is a prompt (without its system token) and the candidate
// completions one judge call ranks.
type Group struct {
	Prompt []int
	Cands  [][]int
}

// GenStats counts what sampling produced.
type GenStats struct {
	Samples, Valid, Identical int
}

// Generate draws k completions per prompt from m at the temperature, after
// the system token sys, keeps those that pass the format filter and groups
// them: with pairwise, consecutive valid completions form pairs (one group
// of two each, a pair of identical completions dropped); otherwise all of a
// prompt's valid completions form one group (kept when at least two
// differ).
func (m *Model) Generate(w *World, prompts [][]int, sys, k int, pairwise bool, temperature float64, rng *rand.Rand) ([]Group, GenStats) {
	var out []Group
	var st GenStats
	for _, p := range prompts {
		full := append([]int{sys}, p...)
		var valid [][]int
		for i := 0; i < k; i++ {
			c := m.Sample(full, temperature, rng)
			st.Samples++
			if w.ValidCompletion(c) {
				valid = append(valid, c)
				st.Valid++
			}
		}
		if pairwise {
			for i := 0; i+1 < len(valid); i += 2 {
				if slices.Equal(valid[i], valid[i+1]) {
					st.Identical++
					continue
				}
				out = append(out, Group{Prompt: p, Cands: [][]int{valid[i], valid[i+1]}})
			}
			continue
		}
		distinct := false
		for _, c := range valid[min(1, len(valid)):] {
			distinct = distinct || !slices.Equal(c, valid[0])
		}
		if !distinct {
			st.Identical++
			continue
		}
		out = append(out, Group{Prompt: p, Cands: valid})
	}
	return out, st
}

func i32(x []int) []int32 {
	out := make([]int32, len(x))
	for i, v := range x {
		out[i] = int32(v)
	}
	return out
}

// toGroups packs groups into the plugins' batch layout.
func toGroups(groups []Group) (plugin.Groups, error) {
	prompts := make([][]int32, len(groups))
	cands := make([][][]int32, len(groups))
	for i, g := range groups {
		prompts[i] = i32(g.Prompt)
		for _, c := range g.Cands {
			cands[i] = append(cands[i], i32(c))
		}
	}
	return plugin.NewGroups(prompts, cands)
}

// LabelStats summarises a labelling pass.
type LabelStats struct {
	Groups, Pairs int
	MeanMargin    float64 // mean judge score of chosen minus rejected (after the bias)
	Flipped       int     // pairs whose label the bias reversed relative to the judge
}

// Label scores every group's candidates with the judge (then the bias, when
// not nil) and returns one pair per group: its highest-scored candidate as
// chosen, its lowest as rejected, the prompt prefixed with sys. A group of
// two therefore gives exactly one label.
func Label(ctx context.Context, j Judge, b Bias, groups []Group, sys int) ([]Pair, LabelStats, error) {
	st := LabelStats{Groups: len(groups)}
	if len(groups) == 0 {
		return nil, st, nil
	}
	g, err := toGroups(groups)
	if err != nil {
		return nil, st, fmt.Errorf("preference: label: %w", err)
	}
	raw := make([]float64, g.Candidates())
	if err := j.Judge(ctx, raw, g); err != nil {
		return nil, st, fmt.Errorf("preference: judge: %w", err)
	}
	scores := raw
	if b != nil {
		scores = make([]float64, len(raw))
		if err := b.Bias(ctx, scores, g, raw); err != nil {
			return nil, st, fmt.Errorf("preference: bias: %w", err)
		}
	}
	chosen, rejected, err := plugin.Pick(g, scores)
	if err != nil {
		return nil, st, fmt.Errorf("preference: label: %w", err)
	}
	cand := func(c int) []int {
		gi := 0
		for int(g.GroupOff[gi+1]) <= c {
			gi++
		}
		return groups[gi].Cands[c-int(g.GroupOff[gi])]
	}
	pairs := make([]Pair, len(groups))
	for i := range groups {
		ci, ri := chosen[i], rejected[i]
		pairs[i] = Pair{Prompt: append([]int{sys}, groups[i].Prompt...), Chosen: cand(ci), Rejected: cand(ri)}
		st.MeanMargin += scores[ci] - scores[ri]
		if raw[ci] < raw[ri] {
			st.Flipped++
		}
	}
	st.Pairs = len(pairs)
	st.MeanMargin /= float64(len(pairs))
	return pairs, st, nil
}

// HostModels backs the judges' batched logprob with the study's models,
// built on first use: a name maps to a function that makes the model.
type HostModels struct {
	mu     sync.Mutex
	make   map[string]func() (*Model, error)
	models map[string]*Model
	tp     *ad.Tape[float64]
	Calls  int // logprob calls served
	Scored int // continuations scored
}

// NewHostModels returns host models built by the given functions.
func NewHostModels(makers map[string]func() (*Model, error)) *HostModels {
	return &HostModels{make: makers, models: map[string]*Model{}, tp: ad.NewTape[float64]()}
}

// Names lists the models a judge may ask for.
func (h *HostModels) Names() []string {
	var out []string
	for n := range h.make {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Model returns the named model, building it on first use.
func (h *HostModels) Model(name string) (*Model, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.model(name)
}

func (h *HostModels) model(name string) (*Model, error) {
	if m, ok := h.models[name]; ok {
		return m, nil
	}
	mk, ok := h.make[name]
	if !ok {
		return nil, fmt.Errorf("preference: no host model %q (models: %v)", name, h.Names())
	}
	m, err := mk()
	if err != nil {
		return nil, err
	}
	h.models[name] = m
	return m, nil
}

// LogProb implements plugin.LogProbFunc: out[i] = log p(cont_i | ctx_i)
// under the named model. Every context must hold at least one token.
func (h *HostModels) LogProb(ctx context.Context, model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, err := h.model(model)
	if err != nil {
		return err
	}
	n := len(out)
	seqs := make([][]int, n)
	from := make([]int, n)
	for i := 0; i < n; i++ {
		c, k := ctxTok[ctxOff[i]:ctxOff[i+1]], contTok[contOff[i]:contOff[i+1]]
		if len(c) == 0 {
			return fmt.Errorf("preference: logprob: context %d is empty (the model needs at least one token before a continuation)", i)
		}
		s := make([]int, 0, len(c)+len(k))
		for _, t := range c {
			s = append(s, int(t))
		}
		for _, t := range k {
			s = append(s, int(t))
		}
		for _, t := range s {
			if t < 0 || t >= m.Cfg.Vocab {
				return fmt.Errorf("preference: logprob: sequence %d has token %d outside the vocabulary [0, %d)", i, t, m.Cfg.Vocab)
			}
		}
		if len(s) > 4*MaxLen {
			return fmt.Errorf("preference: logprob: sequence %d has %d tokens, more than %d", i, len(s), 4*MaxLen)
		}
		seqs[i], from[i] = s, len(c)
	}
	copy(out, m.SeqLogProbs(h.tp, seqs, from, 256))
	h.Calls++
	h.Scored += n
	return ctx.Err()
}

var _ plugin.LogProbFunc = (*HostModels)(nil).LogProb
