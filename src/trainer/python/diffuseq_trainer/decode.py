"""A small Python sampler for validation logging: DPM-Solver++(2M) over the discrete sqrt schedule,
greedy nearest-embedding rounding, and sentence BLEU-4 (NLTK smoothing method 4, re-implemented).
The shipped sampler is the TypeScript engine; this one only watches training progress.

Time convention (DPM-Solver's discrete NoiseScheduleVP): continuous t in [1/T, 1]; log alpha(t) is the
piecewise-linear interpolation of 0.5 log abar_i at t_i = (i+1)/T; the network gets the index
(t - 1/T) * T, a float in [0, T-1].
"""

import math
from collections import Counter

import numpy as np
import torch

from . import schedule
from .data import target_budget
from .diffusion import target_start


class DiscreteVP:
    def __init__(self, num_timesteps, schedule_name="sqrt"):
        self.T = num_timesteps
        ac = schedule.alphas_cumprod(num_timesteps, schedule_name)
        self.t_array = np.linspace(0.0, 1.0, num_timesteps + 1)[1:]
        self.log_alpha_array = 0.5 * np.log(ac)

    def log_alpha(self, t):
        return float(np.interp(t, self.t_array, self.log_alpha_array))

    def alpha(self, t):
        return math.exp(self.log_alpha(t))

    def sigma(self, t):
        return math.sqrt(max(1.0 - math.exp(2.0 * self.log_alpha(t)), 1e-20))

    def lam(self, t):
        return self.log_alpha(t) - math.log(self.sigma(t))

    def t_of_lambda(self, lam):
        # lambda is monotone decreasing in t: invert by interpolation on the table.
        log_a = self.log_alpha_array
        lams = log_a - 0.5 * np.log(np.maximum(1.0 - np.exp(2.0 * log_a), 1e-20))
        return float(np.interp(-lam, -lams, self.t_array))

    def model_time(self, t):
        return (t - 1.0 / self.T) * self.T


def logsnr_timesteps(vp, steps):
    """Time steps uniform in logSNR from t=1 down to t=1/T (DPM-Solver's 'logSNR' skip type)."""
    lam_T, lam_0 = vp.lam(1.0), vp.lam(1.0 / vp.T)
    return [vp.t_of_lambda(lam) for lam in np.linspace(lam_T, lam_0, steps + 1)]


@torch.no_grad()
def dpm_solver_pp_2m(denoiser, x_src, src_mask, vp, steps=10, generator=None, centre=None):
    """Sample the target part. x_src [B, L, d] holds the clean source embeddings (target rows ignored),
    src_mask [B, L] marks source positions, which are re-anchored after every step.
    centre (a d-vector, or None): the point the forward process's Gaussian is centred on - the absorbing vector m
    for the official DiffuSeq-v2 process (x_t - m = alpha_t (x_0 - m) + sigma_t eps). The solver then runs on
    y = x - m, where that process is the usual VP one, starting from y_T ~ N(0, I), i.e. x_T ~ N(m, I); the engine
    does the same (src/engine/pipeline.ts, docs/engine.md)."""
    if centre is not None:
        c = centre.to(x_src.dtype)
        net = denoiser

        def shifted(y, t_in, self_cond, start):
            return net(y + c, t_in, None if self_cond is None else self_cond + c, start).float() - c

        shifted.self_conditioning = denoiser.self_conditioning
        return dpm_solver_pp_2m(shifted, x_src - c, src_mask, vp, steps, generator) + c
    x = torch.randn(x_src.shape, generator=generator, device=x_src.device)
    anchor = lambda z: torch.where(src_mask[..., None], x_src, z)
    x = anchor(x)
    ts = logsnr_timesteps(vp, steps)
    B = x.shape[0]
    self_cond = None
    start = target_start(~src_mask)
    x0_prev, h_prev = None, None
    for i in range(1, len(ts)):
        s, t = ts[i - 1], ts[i]
        t_in = torch.full((B,), vp.model_time(s), device=x.device)
        x0 = denoiser(x, t_in, self_cond, start)
        x0 = anchor(x0.float())
        if denoiser.self_conditioning:
            self_cond = x0
        h = vp.lam(t) - vp.lam(s)
        if x0_prev is None or i == len(ts) - 1 and steps < 10:
            D = x0
        else:
            r = h_prev / h
            D = (1 + 1 / (2 * r)) * x0 - (1 / (2 * r)) * x0_prev
        x = (vp.sigma(t) / vp.sigma(s)) * x - vp.alpha(t) * math.expm1(-h) * D
        x = anchor(x)
        x0_prev, h_prev = x0, h
    return x


def round_tokens(x, emb):
    """Nearest embedding: argmax_v (x . E_v - 0.5 |E_v|^2), the same as rounding.onnx."""
    scores = torch.matmul(x, emb.t()) - 0.5 * (emb * emb).sum(-1)
    return scores.argmax(-1)


def cut_target(tokens, sep, pad):
    out = []
    for tok in tokens:
        if tok in (sep, pad):
            break
        out.append(int(tok))
    return out


def _ngrams(seq, n):
    return Counter(tuple(seq[i : i + n]) for i in range(len(seq) - n + 1))


def sentence_bleu(reference, hypothesis, max_n=4, k=5):
    """Sentence BLEU-4, uniform weights, one reference, NLTK's SmoothingFunction().method4."""
    hyp_len, ref_len = len(hypothesis), len(reference)
    if hyp_len == 0:
        return 0.0
    nums, dens = [], []
    for n in range(1, max_n + 1):
        h, r = _ngrams(hypothesis, n), _ngrams(reference, n)
        nums.append(sum(min(c, r[g]) for g, c in h.items()))
        dens.append(max(1, sum(h.values())))
    if nums[0] == 0:
        return 0.0
    p = []
    incvnt = 1
    for num, den in zip(nums, dens, strict=True):
        if num == 0 and hyp_len > 1:
            # method4: smaller smoothed counts for short hypotheses (Chen & Cherry 2014).
            p.append((1.0 / (2**incvnt * k / math.log(hyp_len))) / den)
            incvnt += 1
        else:
            p.append(num / den)
    if min(p) <= 0:
        return 0.0
    bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(sum(math.log(x) / max_n for x in p))


@torch.no_grad()
def validation_bleu(*args, **kwargs):
    """Mean sentence BLEU (token level) of one sample per example against the reference target."""
    return validation_decode(*args, **kwargs)["bleu"]


def validation_decode(
    denoiser,
    examples,
    pad,
    sep,
    max_target,
    ratio,
    extra,
    num_timesteps,
    steps=10,
    device="cpu",
    seed=0,
    autocast=None,
    forward_process="replace-before-noise",
):
    """One sample per example: {"bleu": mean sentence BLEU (token level) against the reference target,
    "unchanged": share of outputs whose tokens equal the source's (a model that only copies scores well on QQP's
    BLEU and is no paraphraser)}. examples: list of (src ids, trg ids) with src = [TASK] ... [SEP]. Rows of one
    denoiser call must share a length, so examples are grouped by their inference length."""
    vp = DiscreteVP(num_timesteps)
    gen = torch.Generator(device=device).manual_seed(seed)
    emb = denoiser.embedding_table().detach().float()
    groups = {}
    for src, trg in examples:
        L = len(src) + target_budget(len(src) - 2, max_target, ratio, extra)
        groups.setdefault((len(src), L), []).append((src, trg))
    scores, unchanged = [], []
    for (ns, L), group in sorted(groups.items()):
        ids = torch.full((len(group), L), pad, dtype=torch.long)
        for r, (src, _) in enumerate(group):
            ids[r, :ns] = torch.as_tensor(src)
        ids = ids.to(device)
        src_mask = torch.zeros_like(ids, dtype=torch.bool)
        src_mask[:, :ns] = True
        x_src = denoiser.get_embeds(ids).float()
        with autocast() if autocast else torch.no_grad():
            centre = denoiser.absorb.detach().float() if forward_process == "official" else None
            x = dpm_solver_pp_2m(denoiser, x_src, src_mask, vp, steps, gen, centre)
        toks = round_tokens(x.float(), emb)[:, ns:].cpu().numpy()
        for r, (src, trg) in enumerate(group):
            out = cut_target(toks[r], sep, pad)
            scores.append(sentence_bleu(cut_target(list(trg), sep, pad), out))
            unchanged.append(out == [int(t) for t in src[1:-1]])
    if not scores:
        return {"bleu": 0.0, "unchanged": 0.0}
    return {"bleu": float(np.mean(scores)), "unchanged": float(np.mean(unchanged))}
