"""Limits and defaults in one frozen dataclass, read from the environment or the app's flags.

Every field can be set with an environment variable named ``TRANSLATOR_<FIELD>``,
e.g. ``TRANSLATOR_MAX_BEAMS=6``; app.py overrides them from its command-line flags.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

from .threads import apply_threads, default_threads

PRECISIONS = ("auto", "fp32", "fp16", "bf16", "8bit", "4bit")
ENV_PREFIX = "TRANSLATOR_"


@dataclass(frozen=True)
class Settings:
    # characters accepted per request; long enough for a report, short enough to answer in a minute on a CPU
    max_chars_translate: int = 20_000
    max_chars_qa: int = 100_000
    max_chars_question: int = 1_000
    max_chars_summarize: int = 100_000
    max_chars_attention: int = 4_000
    max_chars_chunks: int = 200_000
    # a file uploaded to translate (translate_document), in bytes: a long .docx with pictures fits, a video doesn't
    max_upload_bytes: int = 10_000_000
    # characters of text in one uploaded file: a long article or a film's subtitles, a few minutes on a CPU
    max_chars_document: int = 100_000
    # beam width ceiling for the slider and the API; beams multiply decoder memory and time
    max_beams: int = 8
    # generation stops here even if the model never emits end-of-sequence
    max_new_tokens: int = 512
    # wall-clock cap handed to generate(max_time=...) per batch, so a request can't run away
    max_generate_seconds: float = 60.0
    # the attention views draw at most this many tokens; more is cut and the cut is reported
    max_attention_tokens: int = 512
    # integrated-gradients steps a request may ask for: each step is a forward and a backward pass per output token
    max_attribution_steps: int = 128
    # the Embeddings tab's texts together, special tokens included: its heatmap compares every token with every
    # other (1024² cells) and its map labels each one; the hidden states of bert-base at this size are ~40 MB
    max_layer_tokens: int = 1024
    # most answers / n-best rows a request may ask for
    max_top_k: int = 20
    # a translated chunk whose output/source character ratio falls outside [min, max] is flagged "length_ratio".
    # A faithful translation between European languages runs at about 1.0-1.2x the source's characters
    # (Gale & Church 1993), with a spread that shrinks as sentences grow: under 0.5, half or more is likely
    # missing; over 2.0 is the repetition loop of a model that lost its place. Smaller omissions hide in
    # normal variation (one of two packed sentences dropped lands near 0.55): the sentence count and the
    # coverage check catch those. Into Chinese or Japanese characters carry more: lower the minimum (~0.2).
    min_length_ratio: float = 0.5
    max_length_ratio: float = 2.0
    # models kept in memory together; the least recently used is evicted past this
    cache_budget_mb: float = 6_000
    # precision used when a request says "auto"
    precision: str = "auto"
    # where models converted for CTranslate2 are kept; None: beside the hub cache, in $HF_HOME/ctranslate2
    ctranslate2_dir: str | None = None
    # never contact the hub; resolve models from the local cache or bundled files only
    offline: bool = False
    # a TOML or JSON file of extra registry entries
    registry_file: str | None = None
    # requests per minute per client on public deployments; 0 turns the limit off
    rate_limit_per_minute: int = 0
    # reverse proxies in front of the app that append the client's address to X-Forwarded-For (Spaces: 1).
    # The rate limit keys a client by the entry the last of them appended; with 0 it uses the peer address
    # and ignores the header, which any client can fill with whatever it likes
    trusted_proxy_hops: int = 0
    # CPU threads for model work, shared by torch, CTranslate2 and fine-tuning (core/threads.py); by default the
    # physical cores (or OMP_NUM_THREADS): more threads than cores, or two pools at once, make OpenMP spin
    threads: int = dataclasses.field(default_factory=default_threads)
    # model-running requests served at once; on a 2-core CPU or one GPU, one at a time is fastest overall
    concurrency_limit: int = 1
    # requests that may wait in the queue; past this the app answers that it is busy
    queue_size: int = 64
    # what the app keeps for all sessions between requests (results, the last value of each view); past it the
    # least recently used sessions are forgotten (a one-off API call's session goes seconds after its answer)
    session_budget_mb: int = 512
    # temporary files (uploads, translated files) are removed at this age, and the oldest past this disk budget
    temp_max_age_seconds: int = 3600
    temp_budget_mb: int = 1024

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {self.precision!r}.")
        if not 0 <= self.min_length_ratio < self.max_length_ratio:
            raise ValueError("min_length_ratio must be at least 0 and below max_length_ratio.")
        if self.threads < 1:
            raise ValueError(f"threads must be at least 1, not {self.threads}.")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Defaults overridden by ``TRANSLATOR_*`` variables; ``HF_HUB_OFFLINE=1`` also means offline."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is not None and raw != "":
                values[field.name] = _parse(raw, field.type)
        if env.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
            values.setdefault("offline", True)
        return cls(**values)

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed; ``None`` values are ignored, so CLI flags left unset keep the defaults."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _parse(raw: str, type_name: object) -> object:
    kind = str(type_name)
    if kind.startswith("bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    return raw


_current = Settings.from_env()


def get_settings() -> Settings:
    return _current


def configure(settings: Settings) -> Settings:
    """Make ``settings`` the process-wide settings (app.py calls this once at start-up), its thread count too."""
    global _current
    _current = settings
    apply_threads(settings.threads)
    return _current
