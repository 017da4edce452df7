// Package boundaries is the "boundaries" study: token boundaries learned end
// to end in a byte-level hourglass language model, after Dauncey &
// Wattenhofer (arXiv 2602.13940). Bytes go through sliding-window attention
// (the down layers); an autoregressive Bernoulli gater marks the bytes that
// end a token; the down layers' outputs at those bytes are the chunks a
// fully causal middle network reads; each chunk's output is added back to
// the bytes from its end up to the next chunk's end; pointwise up layers and
// a head predict the next byte. The gater is trained with a score-function
// (REINFORCE) estimator whose advantages come from a discount plugin
// (centring across the batch, then G_t = r_t + gamma G_{t+1}), or with a
// straight-through Gumbel-sigmoid estimate (Nawrot et al., arXiv
// 2211.09761); fixed stride, uniform random and whitespace boundaries are
// the baselines.
//
// Invariants: every random draw comes from a stream of the run's seed; the
// first and last byte of every sequence always end a token and carry no
// gradient; the model is causal (the prediction at byte t depends on bytes
// <= t only, gates included).
package boundaries
