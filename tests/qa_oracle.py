"""The transformers 4.x question-answering pipeline as an oracle for translator.answer().

transformers 5 removed the pipeline and can't be installed beside 4.x, so the expected
answers are recorded once, by the real v4 pipeline in a throwaway virtualenv, into
``tests/fixtures/qa_v4_expected.json``; tests/test_qa.py checks answer() against them.

The models' weights are drawn from torch's own seeded generator, not transformers' init
code, so a later transformers release rebuilds the very same models. To record again::

    python -m venv /tmp/v4 && /tmp/v4/bin/pip install "transformers==4.57.6" \
        "tokenizers>=0.22,<0.23" "huggingface_hub<1.0" requests --no-deps
    echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/v4/lib/python3.11/site-packages/zz.pth
    .venv/bin/python tests/qa_oracle.py /tmp/v4/bin/python

(the .pth lets the throwaway venv borrow torch and numpy; its own transformers comes first).
"""

from __future__ import annotations

import json
import string
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "fixtures" / "qa_v4_expected.json"

_SENTENCES = [
    "The Eiffel tower was built in Paris in 1889 by Gustave Eiffel's company.",
    "Berlin is the capital of Germany, and the river Spree runs through it.",
    "A museum in London holds the Rosetta stone, found in 1799.",
    "The translation model reads one sentence at a time; long text is cut into chunks.",
    "Queen Victoria's reign lasted 63 years, longer than any king before her.",
    "In the first century, the city had about 50,000 people and three bridges.",
    "Attention heads in a BERT encoder look at every token of the input.",
    "Who wrote the paper? Nobody knows, but the answer was short.",
]
QUESTION = "Where was the tower built?"


def _context(n: int) -> str:
    return " ".join(_SENTENCES[i % len(_SENTENCES)] for i in range(n))


# (case name, model name, question, context, pipeline arguments); each runs through answer() and v4
CASES = [
    ("short-top1", "distilbert", QUESTION, _context(3), {}),
    ("short-top5", "distilbert", "Who built it?", _context(4), {"top_k": 5}),
    ("short-words-off", "distilbert", QUESTION, _context(4), {"top_k": 3, "align_to_words": False}),
    ("argmax-path", "distilbert", QUESTION, _context(2), {"top_k": 1, "align_to_words": False}),
    (
        "long-windows",
        "distilbert",
        QUESTION,
        _context(40),
        {"top_k": 8, "max_seq_len": 64, "doc_stride": 24, "max_answer_len": 12},
    ),
    (
        "impossible",
        "distilbert",
        "What is the colour of the sky?",
        _context(12),
        {"top_k": 4, "max_seq_len": 96, "doc_stride": 32, "handle_impossible_answer": True},
    ),
    (
        "impossible-listed",
        "distilbert",
        QUESTION,
        "Built in Paris, 1889.",
        {"top_k": 20, "handle_impossible_answer": True},
    ),
    ("tiny-context", "distilbert", QUESTION, "Paris.", {"top_k": 3}),
    (
        "roberta-long",
        "roberta",
        QUESTION,
        _context(30),
        {"top_k": 6, "max_seq_len": 80, "doc_stride": 20, "handle_impossible_answer": True},
    ),
    ("roberta-short", "roberta", "Who wrote the paper?", _context(8), {"top_k": 3, "max_answer_len": 5}),
]


# -------------------------------------------------------------------- models (run with transformers 5)


def _reseed(model, seed: int) -> None:
    """Weights from torch's seeded generator (norms at 1 and 0), whatever transformers' init did."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters()):
            if "norm" in name.lower():
                param.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                param.copy_(torch.randn(param.shape, generator=generator) * 0.3)


def build_distilbert(folder: Path) -> Path:
    import builders
    from transformers import AutoTokenizer, DistilBertForQuestionAnswering

    builders.build_distilbert_qa(folder, dim=64, layers=2, heads=4)
    # DistilBERT takes no token_type_ids; v4 passes the tokenizer's model_input_names to the model as they are
    AutoTokenizer.from_pretrained(folder, model_input_names=["input_ids", "attention_mask"]).save_pretrained(folder)
    model = DistilBertForQuestionAnswering.from_pretrained(folder)
    _reseed(model, 1)
    model.save_pretrained(folder)
    return folder


def build_roberta(folder: Path) -> Path:
    """A RoBERTa QA model with a byte-level BPE trained on the spot (<s> is its [CLS])."""
    import builders
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaForQuestionAnswering, RobertaTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    corpus = [" ".join(builders.WORDS), string.ascii_letters, string.digits + string.punctuation, *_SENTENCES[:4]]
    bpe.train_from_iterator(
        corpus,
        vocab_size=400,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
        show_progress=False,
    )
    bpe.save_model(str(folder))
    tokenizer = RobertaTokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"))
    tokenizer.model_max_length = 512
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        max_position_embeddings=514,
        type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = RobertaForQuestionAnswering(config)
    _reseed(model, 2)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_models(root: Path) -> dict[str, Path]:
    return {"distilbert": build_distilbert(root / "distilbert"), "roberta": build_roberta(root / "roberta")}


# -------------------------------------------------------------------- recording (run with transformers 4.x)


def record(models: dict[str, str]) -> dict:
    import transformers
    from transformers import pipeline

    assert transformers.__version__.startswith("4."), "record with transformers 4.x"
    pipes = {
        name: pipeline("question-answering", model=path, tokenizer=path, device=-1) for name, path in models.items()
    }
    cases = {}
    for name, model, question, context, kwargs in CASES:
        found = pipes[model](question=question, context=context, **kwargs)
        found = found if isinstance(found, list) else [found]
        cases[name] = [
            {"answer": a["answer"], "start": int(a["start"]), "end": int(a["end"]), "score": float(a["score"])}
            for a in found
        ]
    return {"transformers": transformers.__version__, "cases": cases}


def main(v4_python: str) -> None:
    import tempfile

    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as tmp:
        models = {name: str(path) for name, path in build_models(Path(tmp)).items()}
        script = (
            f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import qa_oracle; "
            f"print(json.dumps(qa_oracle.record({models!r})))"
        )
        done = subprocess.run([v4_python, "-c", script], capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr)
        out = done.stdout
    EXPECTED.parent.mkdir(exist_ok=True)
    EXPECTED.write_text(json.dumps(json.loads(out.strip().splitlines()[-1]), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")


if __name__ == "__main__":
    main(sys.argv[1])
