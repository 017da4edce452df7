/*
 * diag-lognormal-c: the diag-lognormal OOD estimator written in C against
 * sdk/ABI.md alone, with no SDK: the proof that the ABI is language-neutral.
 *
 * Model: an independent normal on the log of each feature, with the mean and
 * the unbiased standard deviation of the fit data; features constant in the
 * fit data are dropped. Score of a row: the sum over kept features of
 * log N(log x_j; mu_j, sigma_j) (higher = more in-distribution).
 *
 * The saved state has the same layout as the Go diag-lognormal plugin's
 * (plugins/internal/estim), so the two can load each other's state:
 * "ablate-estim", u32 version 1, u32 name length, name "diag-lognormal",
 * u32 d, u32 count + u32 kept indices, u32 count + f64 means, u32 count +
 * f64 stds; all little-endian.
 *
 * Build: clang --target=wasm32-wasi -O2 -mexec-model=reactor main.c -lm
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(name)))

static const char manifest[] =
    "{\"abi\":1,\"name\":\"diag-lognormal-c\",\"kind\":\"estimator\",\"version\":\"1.0.0\","
    "\"description\":\"Independent normal on the log of each feature (mean, unbiased std); "
    "constant features dropped; score = sum of log-densities of the log-features. Written in C.\","
    "\"params\":[]}";

static char errbuf[256];
static int errlen;

/* Fitted state. d == 0 means not fitted. */
static uint32_t d_fit;
static uint32_t nkeep;
static uint32_t *keep;
static double *mu, *sigma;
static double norm; /* sum over kept of -(log sigma + log(2 pi)/2) */

/* Saved-state buffer, owned by the plugin until the next save or reset. */
static uint8_t *saved;
static uint32_t savedlen;

static const double LOG2PI = 1.8378770664093453;
static const char magic[] = "ablate-estim";
static const char name[] = "diag-lognormal";

static int32_t fail(const char *msg) {
  errlen = (int)strlen(msg);
  if (errlen > (int)sizeof errbuf - 1) errlen = sizeof errbuf - 1;
  memcpy(errbuf, msg, (size_t)errlen);
  return 1;
}

static int64_t pack(const void *p, uint32_t len) {
  return (int64_t)(((uint64_t)(uintptr_t)p << 32) | (uint64_t)len);
}

EXPORT("ablate_abi_version") int32_t ablate_abi_version(void) { return 1; }

EXPORT("ablate_alloc") int32_t ablate_alloc(int32_t size) {
  if (size < 0) return 0;
  return (int32_t)(uintptr_t)malloc(size ? (size_t)size : 1);
}

EXPORT("ablate_free") void ablate_free(int32_t ptr) { free((void *)(uintptr_t)ptr); }

EXPORT("ablate_manifest") int64_t ablate_manifest(void) {
  return pack(manifest, sizeof manifest - 1);
}

EXPORT("ablate_error") int64_t ablate_error(void) { return pack(errbuf, (uint32_t)errlen); }

/* The estimator has no parameters: accept an empty object (or nothing). */
EXPORT("ablate_init") int32_t ablate_init(int32_t ptr, int32_t len) {
  const char *p = (const char *)(uintptr_t)ptr;
  int32_t i = 0;
  while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r')) i++;
  if (i == len) return 0;
  if (len - i >= 4 && memcmp(p + i, "null", 4) == 0) return 0;
  if (p[i] != '{') return fail("diag-lognormal-c: parameters must be a JSON object");
  for (i++; i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\t' || p[i] == '\r'); i++) {
  }
  if (i >= len || p[i] != '}') return fail("diag-lognormal-c: takes no parameters");
  return 0;
}

static void reset(void) {
  free(keep);
  free(mu);
  free(sigma);
  keep = NULL;
  mu = sigma = NULL;
  d_fit = nkeep = 0;
}

static void set_norm(void) {
  norm = 0;
  for (uint32_t c = 0; c < nkeep; c++) norm -= log(sigma[c]) + 0.5 * LOG2PI;
}

EXPORT("ablate_fit") int32_t ablate_fit(int32_t xp, int32_t n, int32_t d) {
  const double *x = (const double *)(uintptr_t)xp;
  char msg[160];
  if (n < 2) {
    snprintf(msg, sizeof msg, "estim: diag-lognormal: fit input has %d rows, need at least 2", n);
    return fail(msg);
  }
  if (d < 1) {
    snprintf(msg, sizeof msg, "estim: diag-lognormal: fit input has %d features, need at least 1", d);
    return fail(msg);
  }
  for (int64_t i = 0; i < (int64_t)n * d; i++) {
    double v = x[i];
    if (!(v > 0) || isinf(v)) {
      snprintf(msg, sizeof msg, "estim: diag-lognormal: fit input row %d feature %d is %g, want a finite value > 0",
               (int)(i / d), (int)(i % d), v);
      return fail(msg);
    }
  }
  reset();
  keep = malloc((size_t)d * sizeof *keep);
  mu = malloc((size_t)d * sizeof *mu);
  sigma = malloc((size_t)d * sizeof *sigma);
  if (!keep || !mu || !sigma) {
    reset();
    return fail("diag-lognormal-c: out of memory");
  }
  for (int32_t j = 0; j < d; j++) {
    double lo = log(x[j]), hi = lo, s = 0;
    for (int32_t i = 0; i < n; i++) {
      double y = log(x[(int64_t)i * d + j]);
      lo = fmin(lo, y);
      hi = fmax(hi, y);
      s += y;
    }
    if (lo == hi) continue; /* constant: dropped */
    double m = s / n, v = 0;
    for (int32_t i = 0; i < n; i++) {
      double r = log(x[(int64_t)i * d + j]) - m;
      v += r * r;
    }
    keep[nkeep] = (uint32_t)j;
    mu[nkeep] = m;
    sigma[nkeep] = sqrt(v / (n - 1));
    nkeep++;
  }
  if (nkeep == 0) {
    reset();
    snprintf(msg, sizeof msg, "estim: diag-lognormal: all %d features are constant in the fit data", d);
    return fail(msg);
  }
  d_fit = (uint32_t)d;
  set_norm();
  return 0;
}

EXPORT("ablate_score") int32_t ablate_score(int32_t xp, int32_t m, int32_t d, int32_t outp) {
  const double *x = (const double *)(uintptr_t)xp;
  double *out = (double *)(uintptr_t)outp;
  char msg[160];
  if (d_fit == 0) return fail("estim: estimator not fitted: diag-lognormal");
  if ((uint32_t)d != d_fit) {
    snprintf(msg, sizeof msg, "estim: diag-lognormal: score input has %d features, the estimator was fitted on %u", d,
             d_fit);
    return fail(msg);
  }
  for (int32_t i = 0; i < m; i++) {
    const double *row = x + (int64_t)i * d;
    double q = 0;
    for (uint32_t c = 0; c < nkeep; c++) {
      double v = row[keep[c]];
      if (!(v > 0) || isinf(v)) {
        snprintf(msg, sizeof msg,
                 "estim: diag-lognormal: score input row %d feature %u is %g, want a finite value > 0", i, keep[c], v);
        return fail(msg);
      }
      double z = (log(v) - mu[c]) / sigma[c];
      q += z * z;
    }
    out[i] = norm - 0.5 * q;
  }
  return 0;
}

/* ---- saved state ---- */

static uint8_t *put32(uint8_t *p, uint32_t v) {
  for (int k = 0; k < 4; k++) *p++ = (uint8_t)(v >> (8 * k));
  return p;
}

static uint8_t *put64(uint8_t *p, double f) {
  uint64_t v;
  memcpy(&v, &f, 8);
  for (int k = 0; k < 8; k++) *p++ = (uint8_t)(v >> (8 * k));
  return p;
}

EXPORT("ablate_save") int64_t ablate_save(void) {
  if (d_fit == 0) {
    fail("estim: estimator not fitted: diag-lognormal");
    return 0; /* ptr 0, len 0: the error is in ablate_error */
  }
  uint32_t n = (uint32_t)(sizeof magic - 1) + 4 + 4 + (uint32_t)(sizeof name - 1) + 4 + 3 * 4 + nkeep * (4 + 8 + 8);
  free(saved);
  saved = malloc(n);
  if (!saved) {
    fail("diag-lognormal-c: out of memory");
    return 0;
  }
  uint8_t *p = saved;
  memcpy(p, magic, sizeof magic - 1);
  p += sizeof magic - 1;
  p = put32(p, 1);
  p = put32(p, sizeof name - 1);
  memcpy(p, name, sizeof name - 1);
  p += sizeof name - 1;
  p = put32(p, d_fit);
  p = put32(p, nkeep);
  for (uint32_t c = 0; c < nkeep; c++) p = put32(p, keep[c]);
  p = put32(p, nkeep);
  for (uint32_t c = 0; c < nkeep; c++) p = put64(p, mu[c]);
  p = put32(p, nkeep);
  for (uint32_t c = 0; c < nkeep; c++) p = put64(p, sigma[c]);
  savedlen = n;
  return pack(saved, savedlen);
}

typedef struct {
  const uint8_t *b;
  uint32_t len, off;
  int bad;
} reader;

static uint32_t get32(reader *r) {
  if (r->bad || r->len - r->off < 4) {
    r->bad = 1;
    return 0;
  }
  const uint8_t *p = r->b + r->off;
  r->off += 4;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static double get64(reader *r) {
  if (r->bad || r->len - r->off < 8) {
    r->bad = 1;
    return 0;
  }
  uint64_t v = 0;
  for (int k = 7; k >= 0; k--) v = v << 8 | r->b[r->off + k];
  r->off += 8;
  double f;
  memcpy(&f, &v, 8);
  return f;
}

EXPORT("ablate_load") int32_t ablate_load(int32_t ptr, int32_t len) {
  reader r = {(const uint8_t *)(uintptr_t)ptr, (uint32_t)len, 0, 0};
  if (len < (int32_t)(sizeof magic - 1) || memcmp(r.b, magic, sizeof magic - 1) != 0)
    return fail("estim: bad saved state: diag-lognormal: not an estimator state (no \"ablate-estim\" header)");
  r.off = sizeof magic - 1;
  if (get32(&r) != 1) return fail("estim: bad saved state: diag-lognormal: format version is not 1");
  uint32_t nl = get32(&r);
  if (r.bad || nl != sizeof name - 1 || r.len - r.off < nl || memcmp(r.b + r.off, name, nl) != 0)
    return fail("estim: bad saved state: diag-lognormal: not a diag-lognormal state");
  r.off += nl;
  uint32_t d = get32(&r), k = get32(&r);
  if (r.bad || d < 1 || k < 1 || k > d || (r.len - r.off) / 4 < k)
    return fail("estim: bad saved state: diag-lognormal: bad feature counts");
  uint32_t *nk = malloc(k * sizeof *nk);
  double *nm = malloc(k * sizeof *nm), *ns = malloc(k * sizeof *ns);
  if (!nk || !nm || !ns) {
    free(nk);
    free(nm);
    free(ns);
    return fail("diag-lognormal-c: out of memory");
  }
  for (uint32_t c = 0; c < k; c++) nk[c] = get32(&r);
  if (get32(&r) != k) r.bad = 1;
  for (uint32_t c = 0; c < k && !r.bad; c++) nm[c] = get64(&r);
  if (get32(&r) != k) r.bad = 1;
  for (uint32_t c = 0; c < k && !r.bad; c++) ns[c] = get64(&r);
  int ok = !r.bad && r.off == r.len;
  for (uint32_t c = 0; ok && c < k; c++) {
    if (nk[c] >= d || (c > 0 && nk[c] <= nk[c - 1])) ok = 0;
    if (!(ns[c] > 0) || isinf(ns[c]) || !isfinite(nm[c])) ok = 0;
  }
  if (!ok) {
    free(nk);
    free(nm);
    free(ns);
    return fail("estim: bad saved state: diag-lognormal: truncated, trailing bytes or bad values");
  }
  reset();
  keep = nk;
  mu = nm;
  sigma = ns;
  nkeep = k;
  d_fit = d;
  set_norm();
  return 0;
}
