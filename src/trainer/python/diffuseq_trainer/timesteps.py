"""Timestep samplers of improved-diffusion / DiffuSeq: uniform, and loss-aware importance sampling
(p_t proportional to sqrt(E[loss_t^2]) over the last `history` losses seen at t, mixed with a little
uniform). Both return (t, weights) where weights = 1 / (T p_t) keep the loss estimate unbiased.
t_min (DINOISER's clipped noise, set by the trainer): timesteps below it are never drawn; the others keep their
relative probabilities."""

import numpy as np
import torch


class UniformSampler:
    def __init__(self, num_timesteps, seed=0):
        self.num_timesteps = num_timesteps
        self.rng = np.random.default_rng(seed)
        self.t_min = 0

    def weights(self):
        return np.ones(self.num_timesteps, dtype=np.float64)

    def probabilities(self):
        w = self.weights()
        if self.t_min > 0:
            w = w.copy()
            w[: self.t_min] = 0.0
        return w / w.sum()

    def sample(self, batch_size, device="cpu"):
        p = self.probabilities()
        idx = self.rng.choice(len(p), size=batch_size, p=p)
        w = 1.0 / (len(p) * p[idx])
        return (torch.from_numpy(idx).long().to(device), torch.from_numpy(w).float().to(device))

    def update(self, ts, losses):
        pass

    def state_dict(self):
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, st):
        self.rng.bit_generator.state = st["rng"]


class LossSecondMomentSampler(UniformSampler):
    def __init__(self, num_timesteps, seed=0, history=10, uniform_prob=0.001):
        super().__init__(num_timesteps, seed)
        self.history, self.uniform_prob = history, uniform_prob
        self.loss_history = np.zeros((num_timesteps, history), dtype=np.float64)
        self.counts = np.zeros(num_timesteps, dtype=np.int64)

    def warmed_up(self):
        return bool((self.counts[self.t_min :] == self.history).all())

    def weights(self):
        if not self.warmed_up():
            return np.ones(self.num_timesteps, dtype=np.float64)
        w = np.sqrt(np.mean(self.loss_history**2, axis=-1))
        w /= w.sum()
        w *= 1 - self.uniform_prob
        w += self.uniform_prob / len(w)
        return w

    def update(self, ts, losses):
        """Record the per-row losses (already gathered from every rank under DDP)."""
        for t, loss in zip(np.asarray(ts).tolist(), np.asarray(losses, dtype=np.float64).tolist(), strict=True):
            if self.counts[t] == self.history:
                self.loss_history[t, :-1] = self.loss_history[t, 1:]
                self.loss_history[t, -1] = loss
            else:
                self.loss_history[t, self.counts[t]] = loss
                self.counts[t] += 1

    def state_dict(self):
        st = super().state_dict()
        st.update(loss_history=self.loss_history.copy(), counts=self.counts.copy())
        return st

    def load_state_dict(self, st):
        super().load_state_dict(st)
        self.loss_history = np.array(st["loss_history"], dtype=np.float64)
        self.counts = np.array(st["counts"], dtype=np.int64)


def make_sampler(cfg, seed):
    d = cfg["diffusion"]
    if d["timestepSampler"] == "uniform":
        return UniformSampler(d["steps"], seed)
    if d["timestepSampler"] == "lossaware":
        return LossSecondMomentSampler(d["steps"], seed, d["lossAwareHistory"], d["lossAwareUniformProb"])
    raise ValueError(f"unknown diffusion.timestepSampler {d['timestepSampler']!r}")
