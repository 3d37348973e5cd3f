"""The x0-predicting denoiser of DiffuSeq(-v2).

Input: x_t [B, L, d] (source positions hold clean embeddings, target positions the noisy state),
t [B] float timestep index in [0, T-1] (fractional allowed), optional x_self_cond [B, L, d],
target_start [B] int64 (index of the first target position; only read by the "restart" layout).
Output: x0 [B, L, d], the predicted clean embeddings at every position.

Layout: d -> width up-projection (Linear-Tanh-Linear, as DiffuSeq) + learned position embedding +
timestep MLP (added to every position) -> LayerNorm/dropout -> pre-LN bidirectional transformer ->
final LayerNorm -> width -> d down-projection (Linear-Tanh-Linear, as DiffuSeq).

Target positions ("targetPositions" in the config):
  "absolute" (DiffuSeq): position ids 0..L-1 over the whole row z = x + y.
  "restart": the target's position ids restart at 0 at target_start, and a learned two-row segment
    embedding (source / target) tells the halves apart. Target word i and source word i then share a
    position, so copying aligned words - most of what a paraphrase does - is easy to learn early.

The tied token embedding (V x d) and the learned soft absorbing vector (d) live here too, because
they are trained with the network, but they are not part of the exported denoiser graph. So do, as in
nanoGPT's model, what follows from the network's shape alone: its optimizer's parameter groups and the
FLOP count of a training step.
"""

import inspect
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

TARGET_POSITIONS = ("absolute", "restart")
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


def timestep_embedding(t, dim, freqs):
    """Sinusoidal features of a float timestep (the improved-diffusion formula), [B] -> [B, dim]."""
    args = t.float()[:, None] * freqs[None, :]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


class SelfAttention(nn.Module):
    def __init__(self, width, heads, dropout):
        super().__init__()
        assert width % heads == 0, "width must be divisible by heads"
        self.heads = heads
        self.head_dim = width // heads  # a Python int, so the ONNX trace keeps the scale a constant
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.dropout = dropout
        # The ONNX export (and torch 1.13) use the explicit matmul-softmax path.
        self.explicit = not HAS_SDPA

    def forward(self, x):
        B, L, W = x.shape
        hd = self.head_dim
        q, k, v = self.qkv(x).reshape(B, L, 3, self.heads, hd).permute(2, 0, 3, 1, 4).unbind(0)
        p = self.dropout if self.training else 0.0
        if self.explicit:
            att = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = torch.softmax(att, dim=-1)
            if p > 0:
                att = F.dropout(att, p=p)
            y = torch.matmul(att, v)
        else:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        return self.proj(y.transpose(1, 2).reshape(B, L, W))


class Block(nn.Module):
    """Pre-LN transformer block: x + Attn(LN(x)), x + FFN(LN(x))."""

    def __init__(self, width, heads, ffn_mult, dropout):
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads, dropout)
        self.ln2 = nn.LayerNorm(width)
        self.ffn = nn.Sequential(nn.Linear(width, ffn_mult * width), nn.GELU(), nn.Linear(ffn_mult * width, width))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        x = x + self.drop(self.attn(self.ln1(x)))
        x = x + self.drop(self.ffn(self.ln2(x)))
        return x


class Denoiser(nn.Module):
    def __init__(
        self,
        vocab_size,
        max_len,
        num_timesteps,
        dim=128,
        width=256,
        layers=4,
        heads=4,
        ffn_mult=4,
        dropout=0.1,
        time_dim=128,
        self_conditioning=False,
        target_positions="absolute",
        absorb_std=1.0,
        embedding_norm=False,
        noise_factor=1.0,
    ):
        super().__init__()
        if target_positions not in TARGET_POSITIONS:
            raise ValueError(f"model.targetPositions must be one of {TARGET_POSITIONS}, not {target_positions!r}")
        self.target_positions = target_positions
        self.vocab_size, self.dim, self.width, self.max_len = vocab_size, dim, width, max_len
        self.self_conditioning = self_conditioning
        # Difformer (Gao et al. 2024, zhjgao/difformer): LayerNorm on the embeddings (here without a gain and bias,
        # so that a package's table, already normalised, loads back unchanged: LN(LN(E)) = LN(E) up to LayerNorm's
        # epsilon) and a noise factor F on the training noise. The diffusion runs in y = x / F, where F's noise is
        # the usual VP noise: x_t = sqrt(abar) x_0 + F sqrt(1 - abar) eps <=> y_t = sqrt(abar) y_0 + sqrt(1 - abar) eps.
        # So the table the engine gets is (LN) E / F, the network sees F y and answers in y, the rounding logits are
        # taken in x: the same process and losses as Difformer's, and the engine and package format unchanged.
        self.embedding_norm = bool(embedding_norm)
        self.noise_factor = float(noise_factor)
        # Tied token embedding, N(0,1) as DiffuSeq (nn.Embedding's default init); logits = x . E^T.
        self.word_emb = nn.Embedding(vocab_size, dim)
        # DiffuSeq-v2's learned soft absorbing ([MASK]) state, exported as row V of embeddings.bin. Its scale at
        # the start: N(0, 1/d) for the official forward process (as the official code), N(0, I) for the other
        # (absorb_std; the same random draw either way, so the two arms share every other initial weight).
        self.absorb = nn.Parameter(torch.randn(dim) * absorb_std)
        in_dim = 2 * dim if self_conditioning else dim
        self.input_up_proj = nn.Sequential(nn.Linear(in_dim, width), nn.Tanh(), nn.Linear(width, width))
        # The network sees t rescaled to [0, 1000) like DiffuSeq's rescale_timesteps, so the sinusoid
        # frequencies suit any T.
        self.t_scale = 1000.0 / num_timesteps
        half = time_dim // 2
        self.time_dim = time_dim
        self.register_buffer(
            "freqs", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half), persistent=False
        )
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, 4 * width), nn.SiLU(), nn.Linear(4 * width, width))
        self.pos_emb = nn.Embedding(max_len, width)
        self.seg_emb = nn.Embedding(2, width) if target_positions == "restart" else None
        self.ln_in = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(width, heads, ffn_mult, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(width)
        self.output_down_proj = nn.Sequential(nn.Linear(width, width), nn.Tanh(), nn.Linear(width, dim))
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.pos_emb.weight, std=0.02)
        if self.seg_emb is not None:
            nn.init.normal_(self.seg_emb.weight, std=0.02)
        # The word embedding keeps N(0, 1): its scale sets the signal-to-noise ratio of the schedule.

    @classmethod
    def from_config(cls, cfg, vocab_size, max_len):
        m, dcfg = cfg["model"], cfg["diffusion"]
        return cls(
            vocab_size,
            max_len,
            dcfg["steps"],
            dim=m["dim"],
            width=m["width"],
            layers=m["layers"],
            heads=m["heads"],
            ffn_mult=m["ffnMult"],
            dropout=m["dropout"],
            time_dim=m["timeDim"],
            self_conditioning=dcfg["selfConditioning"],
            target_positions=m.get("targetPositions", "absolute"),
            absorb_std=m["dim"] ** -0.5 if dcfg.get("forwardProcess") == "official" else 1.0,
            embedding_norm=m.get("embeddingNorm", False),
            noise_factor=dcfg.get("noiseFactor", 1.0),
        )

    def set_explicit_attention(self, explicit=True):
        """Use the matmul-softmax attention (for ONNX export); SDPA is used otherwise when available."""
        for blk in self.blocks:
            blk.attn.explicit = explicit or not HAS_SDPA

    def token_table(self):
        """The embedding in x: E, or LN(E) with embeddingNorm."""
        e = self.word_emb.weight
        return F.layer_norm(e, (self.dim,)) if self.embedding_norm else e

    def embedding_table(self):
        """The embedding in the diffusion space y = x / F: what get_embeds looks up and the package stores."""
        return self.token_table() / self.noise_factor

    def get_embeds(self, ids):
        if not self.embedding_norm and self.noise_factor == 1.0:
            return self.word_emb(ids)  # DiffuSeq's lookup, unchanged (and cheaper than normalising V rows)
        e = self.word_emb(ids)
        return (F.layer_norm(e, (self.dim,)) if self.embedding_norm else e) / self.noise_factor

    def get_logits(self, x):
        """Rounding logits of a y-space state, taken in x (x = F y) against the x-space table."""
        return torch.matmul(x if self.noise_factor == 1.0 else x * self.noise_factor, self.token_table().t())

    def position_features(self, L, target_start, device):
        """[B or 1, L, width]: what each position adds to the up-projected input."""
        if self.seg_emb is None:
            return self.pos_emb.weight[:L].unsqueeze(0)
        if target_start is None:
            raise ValueError("the restart layout needs target_start (index of the first target position)")
        pos = torch.arange(L, device=device).unsqueeze(0)  # [1, L]
        start = target_start.to(device=device, dtype=torch.long).unsqueeze(1)  # [B, 1]
        is_target = pos >= start  # [B, L]
        ids = torch.where(is_target, pos - start, pos)
        return self.pos_emb(ids) + self.seg_emb(is_target.long())

    def forward(self, x_t, t, x_self_cond=None, target_start=None):
        if self.self_conditioning:
            if x_self_cond is None:
                x_self_cond = torch.zeros_like(x_t)
            x_t = torch.cat([x_t, x_self_cond], dim=-1)
        h = self.input_up_proj(x_t * self.noise_factor if self.noise_factor != 1.0 else x_t)
        L = h.shape[1]
        temb = self.time_mlp(timestep_embedding(t * self.t_scale, self.time_dim, self.freqs))
        h = h + self.position_features(L, target_start, h.device) + temb.unsqueeze(1)
        h = self.drop(self.ln_in(h))
        for blk in self.blocks:
            h = blk(h)
        x0 = self.output_down_proj(self.ln_f(h))
        return x0 / self.noise_factor if self.noise_factor != 1.0 else x0

    def configure_optimizer(self, weight_decay, lr, betas, device_type):
        """AdamW; weight decay only on matrices of the network (never on embeddings, biases, LayerNorms)."""
        decay, no_decay = [], []
        for name, p in self.named_parameters():
            if p.dim() >= 2 and not name.startswith(("word_emb", "pos_emb")):
                decay.append(p)
            else:
                no_decay.append(p)
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        kw = {}
        sig = inspect.signature(torch.optim.AdamW).parameters
        if device_type == "cuda" and "fused" in sig:
            kw["fused"] = True
        elif "foreach" in sig:
            kw["foreach"] = True  # one kernel per op over all tensors: much faster than the per-tensor loop
        return torch.optim.AdamW(groups, lr=lr, betas=betas, **kw)

    def linear_weights(self):
        """Weights of the Linear layers that run at every position (the timestep MLP runs once per row)."""
        return sum(
            m.weight.numel()
            for name, m in self.named_modules()
            if isinstance(m, nn.Linear) and not name.startswith("time_mlp")
        )

    def step_flops(self, rows, length, target_tokens, linear=None):
        """Approximate FLOPs of one training step (forward + backward = 3x forward, 2 FLOPs per MAC):
        every Linear of the network on all rows x length positions, attention's two L x L products per layer,
        and the rounding logits (d x V) on `target_tokens` (the target tokens, plus those the x0-CE term
        scores). `linear`: self.linear_weights(), if already known (it walks every module)."""
        if linear is None:
            linear = self.linear_weights()
        tokens = rows * length
        fwd = (
            2 * linear * tokens
            + len(self.blocks) * 2 * 2 * rows * length * length * self.width
            + 2 * self.dim * self.vocab_size * target_tokens
        )
        return 3 * fwd


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
