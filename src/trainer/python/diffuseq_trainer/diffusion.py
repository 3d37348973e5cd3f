"""DiffuSeq forward process (partial noising) with DiffuSeq-v2's learned soft absorbing state m, and the loss.

Per training row (ids, target mask):
  x_start_mean = E[ids]                                   (tied embedding, trained jointly)
  x_start      = x_start_mean + sqrt(1 - abar_0) * eps    (DiffuSeq's tiny "get_x_start" noise)
Then, on TARGET positions only (the source keeps x_start), one of two forward processes
(config diffusion.forwardProcess; the package's manifest records which one a model was trained with):
  "official"  (DiffuSeq-v2's own, branch diffuseq-v2 of Shark-NLP/DiffuSeq, q_sample): the Gaussian is
              centred on m, and then each target position is overwritten, with probability
              gamma * sqrt(1 - abar_t), by exactly m - a clean "this word is unknown" marker, as BERT's [MASK]:
                  x_t = sqrt(abar_t) (x_start - m) + sqrt(1 - abar_t) eps' + m;  absorbed: x_t = m
              m starts small (N(0, 1/d), as there).
  "replace-before-noise"  (this project's first reading, the default of older configs): x_start is replaced
              by m with that probability *before* the noise, so an absorbed position is sqrt(abar_t) m + noise -
              at the large t where absorbing is frequent the marker is drowned:
                  x_t = sqrt(abar_t) x_start' + sqrt(1 - abar_t) eps'   (x_start' = m where absorbed)
              m starts at N(0, I).
Model predicts x0. Loss parts (each a per-row mean over target positions):
  mse = |x0_pred - x_start|^2            (rows with t == 0: against x_start_mean, as DiffuSeq)
  tT  = |sqrt(abar_{T-1}) (x_start - c)|^2   (prior term: q(x_T | x_0) should be centred on the prior's
                                         centre c: m for "official", 0 for "replace-before-noise")
  nll = CE(x_start . E^T, ids)           (DiffuSeq's decoder_nll "rounding" term, keeps E from collapsing)
  loss = mse + tT + nll
Optional (x0_ce_weight > 0; FMSeq and CDCD train the denoiser's output to decode, DiffuSeq only rounds x_start):
  x0ce = CE(x0_pred . E^T, ids)          on rows with t < x0_ce_max_t only, where x0_pred is near enough
                                         to the answer to be scored; loss += x0_ce_weight * x0ce
                                         (x0_ce_label_smoothing: Difformer's "anchor" loss uses 0.1 at every t)
With the Difformer options of model.py (embedding LayerNorm, noise factor F) the process runs in y = x / F;
mse and tT are measured in x (times F^2), as Difformer's, so F changes the noise and not the loss's scale.
gamma may fall over the run (absorbing_rate_at): DiffuSeq-v2's Fig. 4 has a high gamma ahead early, 0.5 late.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import schedule


def randn_like(x, generator=None):
    """N(0,1) like x. randn_like (not randn(shape)) so torch.compile's dynamic shapes work."""
    return torch.randn_like(x) if generator is None else torch.empty_like(x).normal_(generator=generator)


def rand_like(x, generator=None):
    return torch.rand_like(x) if generator is None else torch.empty_like(x).uniform_(generator=generator)


def masked_mean(values, mask):
    """Per-row mean of values [B, L] over the positions where mask [B, L] is true."""
    m = mask.to(values.dtype)
    return (values * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


def target_start(target_mask):
    """Index of the first target position of each row [B] (rows lay out source, then target)."""
    return target_mask.to(torch.int8).argmax(dim=1)


def nearest_neighbour_distance(table, sample=2048, generator=None):
    """Median distance from an embedding row to its nearest other row, over `sample` rows drawn at random
    (all of them when the table is smaller)."""
    e = table.detach().float()
    V = e.shape[0]
    rows = torch.randperm(V, generator=generator)[:sample] if sample < V else torch.arange(V)
    d = torch.cdist(e[rows], e)  # [S, V]
    d[torch.arange(len(rows)), rows] = float("inf")  # not the row itself
    return float(d.min(dim=1).values.median())


def dinoiser_min_timestep(sqrt_ac, sqrt_one_minus_ac, nn_distance, confusion):
    """DINOISER (Ye et al. 2023, yegcjs/DINOISER): never train at noise too small to confuse a word with its
    neighbour. At step t the noise, in x_0's scale, has per-dimension std s_t = sqrt(1 - abar_t) / sqrt(abar_t);
    its component along the line to the nearest embedding (distance D) moves a token past the midpoint with
    probability Phi(-D / (2 s_t)). Returns the first t where that probability reaches `confusion`."""
    z = torch.distributions.Normal(0.0, 1.0).icdf(torch.tensor(1.0 - confusion)).item()
    s = (sqrt_one_minus_ac / sqrt_ac).double()
    ok = torch.nonzero(s >= nn_distance / (2.0 * z))
    return int(ok[0]) if len(ok) else len(s) - 1


def absorbing_rate_at(step, total_steps, start, end=None):
    """gamma at a training step: constant, or linear from start (step 0) to end (the last step) when end is set."""
    if end is None or total_steps <= 1:
        return start
    f = min(max(step / (total_steps - 1), 0.0), 1.0)
    return start + (end - start) * f


def absorb(x_start, absorb_vec, t, target_mask, sqrt_one_minus_ac, rate, rand=None, generator=None):
    """Replace each target position's x_start by the absorbing vector with prob rate * sqrt(1 - abar_t).
    Returns (x_start with replacements, bool mask [B, L] of replaced positions)."""
    if rand is None:
        rand = rand_like(x_start[..., 0].float(), generator)
    p = rate * sqrt_one_minus_ac[t]  # [B]
    replaced = (rand < p[:, None]) & target_mask
    x = torch.where(replaced[..., None], absorb_vec.to(x_start.dtype).expand_as(x_start), x_start)
    return x, replaced


class StepSchedules:
    """What the trainer changes with the step besides the learning rate: gamma (diffusion.absorbingRateEnd) and
    DINOISER's clipped minimum timestep (diffusion.minConfusion, recomputed every `every` steps for the
    embeddings as they are then)."""

    def __init__(self, d, total_steps, every=100):
        self.d, self.total_steps, self.every = d, total_steps, every
        self.t_min_at = None  # the step t_min was last computed at

    def apply(self, step, loss_mod, sampler):
        d = self.d
        loss_mod.absorbing_rate = absorbing_rate_at(
            step, self.total_steps, d["absorbingRate"], d.get("absorbingRateEnd")
        )
        if d.get("minConfusion") and (self.t_min_at is None or step - self.t_min_at >= self.every):
            g = torch.Generator().manual_seed(step)
            dist = nearest_neighbour_distance(loss_mod.denoiser.embedding_table(), generator=g)
            sqrt_ac, sqrt_1m = loss_mod.sqrt_ac.cpu(), loss_mod.sqrt_one_minus_ac.cpu()
            sampler.t_min, self.t_min_at = dinoiser_min_timestep(sqrt_ac, sqrt_1m, dist, d["minConfusion"]), step


FORWARD_PROCESSES = ("official", "replace-before-noise")


def q_sample_official(x_start, t, noise, target_mask, absorb_vec, sqrt_ac, sqrt_one_minus_ac, rate, rand):
    """DiffuSeq-v2's q(x_t | x_0) on target positions: a Gaussian centred on m, then exactly m with probability
    rate * sqrt(1 - abar_t). rand [B, L] uniform draws. Returns (x_t, bool mask of absorbed positions)."""
    m = absorb_vec.to(x_start.dtype)
    x_t = sqrt_ac[t][:, None, None] * (x_start - m) + sqrt_one_minus_ac[t][:, None, None] * noise + m
    replaced = (rand < (rate * sqrt_one_minus_ac[t])[:, None]) & target_mask
    x_t = torch.where(replaced[..., None], m.expand_as(x_t), x_t)
    return torch.where(target_mask[..., None], x_t, x_start), replaced


def q_sample(x_start, t, noise, target_mask, sqrt_ac, sqrt_one_minus_ac):
    """Partial noising q(x_t | x_0): target positions get noised, source positions keep x_start exactly."""
    x_t = sqrt_ac[t][:, None, None] * x_start + sqrt_one_minus_ac[t][:, None, None] * noise
    return torch.where(target_mask[..., None], x_t, x_start)


class DiffusionLoss(nn.Module):
    """Wraps the denoiser so that one forward() computes the whole loss (one module for DDP/compile)."""

    def __init__(
        self,
        denoiser,
        num_timesteps,
        absorbing_rate=0.5,
        schedule_name="sqrt",
        x0_ce_weight=0.0,
        x0_ce_max_t=None,
        forward_process="replace-before-noise",
        x0_ce_label_smoothing=0.0,
    ):
        super().__init__()
        if forward_process not in FORWARD_PROCESSES:
            raise ValueError(f"diffusion.forwardProcess must be one of {FORWARD_PROCESSES}, not {forward_process!r}")
        self.forward_process = forward_process
        self.denoiser = denoiser
        self.num_timesteps = num_timesteps
        self.absorbing_rate = absorbing_rate
        self.x0_ce_weight = float(x0_ce_weight)
        self.x0_ce_max_t = num_timesteps if x0_ce_max_t is None else int(x0_ce_max_t)
        self.x0_ce_label_smoothing = float(x0_ce_label_smoothing)
        ac = torch.tensor(schedule.alphas_cumprod(num_timesteps, schedule_name), dtype=torch.float64)
        self.register_buffer("sqrt_ac", ac.sqrt().float(), persistent=False)
        self.register_buffer("sqrt_one_minus_ac", (1.0 - ac).sqrt().float(), persistent=False)

    @classmethod
    def from_config(cls, denoiser, d, training=True):
        """The loss of config section `diffusion` d. training=False: DiffuSeq's loss without the x0-CE term (the
        validation loss, so that runs with and without it compare)."""
        extra = {}
        if training:
            extra = {
                "x0_ce_weight": d.get("x0CeWeight", 0.0),
                "x0_ce_max_t": round(d.get("x0CeMaxT", 1.0) * d["steps"]),
                "x0_ce_label_smoothing": d.get("x0CeLabelSmoothing", 0.0),
            }
        fp = d.get("forwardProcess", "replace-before-noise")
        return cls(denoiser, d["steps"], d["absorbingRate"], d["schedule"], forward_process=fp, **extra)

    def noised(self, ids, target_mask, t, generator=None):
        """Everything of the forward process. Returns dict x_start_mean, x_start, x_absorbed, replaced, x_t."""
        den = self.denoiser
        x_start_mean = den.get_embeds(ids)
        std0 = self.sqrt_one_minus_ac[0]
        x_start = x_start_mean + std0 * randn_like(x_start_mean, generator)
        if self.forward_process == "official":
            rand = rand_like(x_start[..., 0].float(), generator)
            noise = randn_like(x_start, generator)
            x_t, replaced = q_sample_official(
                x_start,
                t,
                noise,
                target_mask,
                den.absorb,
                self.sqrt_ac,
                self.sqrt_one_minus_ac,
                self.absorbing_rate,
                rand,
            )
            return {
                "x_start_mean": x_start_mean,
                "x_start": x_start,
                "x_absorbed": x_start,
                "replaced": replaced,
                "x_t": x_t,
            }
        x_abs, replaced = absorb(
            x_start, den.absorb, t, target_mask, self.sqrt_one_minus_ac, self.absorbing_rate, generator=generator
        )
        noise = randn_like(x_start, generator)
        x_t = q_sample(x_abs, t, noise, target_mask, self.sqrt_ac, self.sqrt_one_minus_ac)
        return {"x_start_mean": x_start_mean, "x_start": x_start, "x_absorbed": x_abs, "replaced": replaced, "x_t": x_t}

    def loss_terms(self, x0_pred, x_start, x_start_mean, ids, target_mask, t):
        """The per-row loss parts (see the module doc)."""
        x0_pred = x0_pred.float()
        in_x = getattr(self.denoiser, "noise_factor", 1.0) ** 2  # y-space squares measured in x (module doc)
        mse = masked_mean(((x0_pred - x_start) ** 2).mean(-1), target_mask)
        mse0 = masked_mean(((x0_pred - x_start_mean) ** 2).mean(-1), target_mask)
        mse = torch.where(t == 0, mse0, mse)
        centre = self.denoiser.absorb.float() if self.forward_process == "official" else 0.0
        tT = masked_mean(((self.sqrt_ac[-1] * (x_start - centre)) ** 2).mean(-1), target_mask)
        if in_x != 1.0:
            mse, tT = mse * in_x, tT * in_x
        nll = masked_mean(self.rounding_ce(x_start, ids, target_mask), target_mask)
        terms = {"loss": mse + tT + nll, "mse": mse, "tT": tT, "nll": nll}
        if self.x0_ce_weight > 0:
            # Scored on the low-t rows only: early in training (and at high t always) the CE of a
            # blurred x0 is ~ln V and swamps the MSE (weight 1 on all t never learned to read the source).
            rows = t < self.x0_ce_max_t
            x0ce = torch.zeros_like(mse)
            if rows.any():
                ce = self.rounding_ce(x0_pred[rows], ids[rows], target_mask[rows], self.x0_ce_label_smoothing)
                x0ce[rows] = masked_mean(ce, target_mask[rows])
            terms["x0ce"] = x0ce
            terms["loss"] = terms["loss"] + self.x0_ce_weight * x0ce
        return terms

    def rounding_ce(self, x_start, ids, target_mask, label_smoothing=0.0):
        """Per-position rounding cross-entropy [B, L] (zero outside the target).
        The logits over the vocabulary dominate a small model's step. On CPU only the target positions
        are scored (~40 % less work per step); on CUDA all positions are, because fixed shapes keep
        torch.compile from recompiling for every batch and the GPU has the FLOPs to spare."""
        if x_start.is_cuda:
            logits = self.denoiser.get_logits(x_start).float()
            ce = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), ids.reshape(-1), reduction="none", label_smoothing=label_smoothing
            )
            return ce.view(ids.shape)
        logits = self.denoiser.get_logits(x_start[target_mask]).float()
        ce = torch.zeros(ids.shape, dtype=logits.dtype, device=ids.device)
        ce[target_mask] = F.cross_entropy(logits, ids[target_mask], reduction="none", label_smoothing=label_smoothing)
        return ce

    def forward(self, ids, target_mask, t, self_cond=False, generator=None):
        n = self.noised(ids, target_mask, t, generator=generator)
        start = target_start(target_mask)
        x_self_cond = None
        if self_cond:
            # Self-conditioning (Chen et al.): a no-grad first pass, its x0 estimate fed as extra input.
            with torch.no_grad():
                x_self_cond = self.denoiser(n["x_t"], t.float(), None, start).detach()
        x0 = self.denoiser(n["x_t"], t.float(), x_self_cond, start)
        return self.loss_terms(x0, n["x_start"], n["x_start_mean"], ids, target_mask, t)
