"""Build small models from configs and save them, so tests and benchmarks need no hub.

Each builder takes the sizes as arguments: the tests use tiny ones (width 64 at least:
bitsandbytes packs 4-bit CPU weights in blocks of 64 input features), the benchmarks
real ones (random weights, the same arithmetic as the released checkpoints).
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import torch

WORDS = """
the a an of to in and is was for on with as by at from that this it be are were has have had not but
or which one all their there been more when will would who can said new time years people first
after also into about over other two state city world music film game war team house river school
law english german language translation model text sentence word paper der die das und ist ein eine
nicht mit von zu den im für auf sich des dem haus stadt welt question answer summary attention bert
encoder decoder token chunk beam search long short paris france london berlin capital country river
museum tower built century king queen
""".split()


def sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` sentences of 3 to 24 words from the tiny tokenizers' words: varied lengths, so varied caps."""
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 24))).capitalize() + "." for _ in range(count)]


def _wordpiece_vocab(extra: tuple[str, ...] = ()) -> list[str]:
    chars = string.ascii_letters + string.digits + string.punctuation + "äöüßéèàçñ"
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *extra]
    vocab += list(chars) + ["##" + c for c in chars] + WORDS
    return list(dict.fromkeys(vocab))


def build_bert_tokenizer(folder: Path, extra: tuple[str, ...] = (), lowercase: bool = False):
    from transformers import BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(_wordpiece_vocab(extra)) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab=str(vocab_file), do_lower_case=lowercase)  # v5 takes vocab=, not vocab_file=
    tokenizer.model_max_length = 512
    return tokenizer


def build_bert(folder: Path, *, hidden: int = 64, layers: int = 2, heads: int = 4) -> Path:
    from transformers import BertConfig, BertModel

    tokenizer = build_bert_tokenizer(folder)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 2,
        max_position_embeddings=512,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_sentence_encoder(folder: Path, **sizes: int) -> Path:
    """A sentence-transformers model (a random BERT of ``sizes``, mean pooling), as all-MiniLM-L6-v2 is built."""
    from sentence_transformers import SentenceTransformer, models

    word = models.Transformer(str(build_bert(folder / "bert", **sizes)))
    SentenceTransformer(modules=[word, models.Pooling(word.get_embedding_dimension())]).save(str(folder))
    return folder


def build_distilbert_qa(folder: Path, *, dim: int = 64, layers: int = 2, heads: int = 4) -> Path:
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering

    tokenizer = build_bert_tokenizer(folder)
    torch.manual_seed(0)
    config = DistilBertConfig(
        vocab_size=len(tokenizer),
        dim=dim,
        n_layers=layers,
        n_heads=heads,
        hidden_dim=dim * 4,
        max_position_embeddings=512,
    )
    DistilBertForQuestionAnswering(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_bert2bert(
    folder: Path,
    *,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    intermediate: int | None = None,
    vocab_size: int | None = None,
) -> Path:
    """An EncoderDecoderModel of BertGeneration halves, tokenized the google/bert2bert way (<s>, </s>, <pad>)."""
    from transformers import BertGenerationConfig, BertGenerationDecoder, BertGenerationEncoder, EncoderDecoderModel

    tokenizer = build_bert_tokenizer(folder, extra=("<pad>", "<s>", "</s>"))
    tokenizer.add_special_tokens({"bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"})
    ids = {
        name: tokenizer.convert_tokens_to_ids(tok) for name, tok in (("pad", "<pad>"), ("bos", "<s>"), ("eos", "</s>"))
    }
    common = dict(
        vocab_size=vocab_size or len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=intermediate or hidden * 2,
        max_position_embeddings=512,
        pad_token_id=ids["pad"],
        bos_token_id=ids["bos"],
        eos_token_id=ids["eos"],
    )
    torch.manual_seed(0)
    encoder = BertGenerationEncoder(BertGenerationConfig(**common))
    decoder = BertGenerationDecoder(BertGenerationConfig(**common, is_decoder=True, add_cross_attention=True))
    model = EncoderDecoderModel(encoder=encoder, decoder=decoder)
    model.config.decoder_start_token_id = ids["bos"]
    model.config.pad_token_id = ids["pad"]
    model.config.eos_token_id = ids["eos"]
    model.generation_config.decoder_start_token_id = ids["bos"]
    model.generation_config.bos_token_id = ids["bos"]
    model.generation_config.pad_token_id = ids["pad"]
    model.generation_config.eos_token_id = ids["eos"]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _train_sentencepiece(folder: Path, vocab_size: int) -> Path:
    import sentencepiece as spm

    corpus = folder / "corpus.txt"
    lines = [" ".join(WORDS[i : i + 12]) for i in range(0, len(WORDS), 3)]
    lines += [string.ascii_letters, string.digits + string.punctuation, "äöüß éèàçñ"]
    corpus.write_text("\n".join(lines * 3) + "\n", encoding="utf-8")
    prefix = folder / "spm"
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        hard_vocab_limit=False,
        unk_id=1,
        bos_id=-1,
        eos_id=0,
        pad_id=-1,
        unk_piece="<unk>",
        eos_piece="</s>",
        minloglevel=2,
    )
    corpus.unlink()
    return prefix.with_suffix(".model")


# the logit bias that makes <pad> as unlikely as in a trained model (build_marian)
PAD_LOGIT_BIAS = -1e4


def build_marian(
    folder: Path,
    *,
    d_model: int = 64,
    layers: int = 2,
    heads: int = 4,
    ffn: int | None = None,
    spm_vocab: int = 300,
    vocab_size: int | None = None,
    pad_last: bool = False,
) -> Path:
    """A MarianMT with a SentencePiece vocabulary trained on the spot (``vocab_size`` pads the embedding).

    ``pad_last``: placeholder pieces fill the vocabulary up to ``vocab_size``, so ``<pad>`` is its last entry
    and the last embedding row, as in released opus-mt; CTranslate2's Marian converter requires that.
    """
    import sentencepiece as spm
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    model_file = _train_sentencepiece(folder, spm_vocab)
    processor = spm.SentencePieceProcessor(model_file=str(model_file))
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    vocab = {piece: i for i, piece in enumerate(pieces)}
    if pad_last and vocab_size:
        vocab.update({f"\u2581w{i}": i for i in range(len(vocab), vocab_size - 1)})
    vocab["<pad>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in ("source.spm", "target.spm"):
        (folder / name).write_bytes(model_file.read_bytes())
    model_file.unlink()
    model_file.with_suffix(".vocab").unlink(missing_ok=True)
    tokenizer = MarianTokenizer(
        str(folder / "source.spm"), str(folder / "target.spm"), str(folder / "vocab.json"), model_max_length=512
    )
    pad = vocab["<pad>"]
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=vocab_size or len(vocab),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn or d_model * 2,
        decoder_ffn_dim=ffn or d_model * 2,
        max_position_embeddings=512,
        pad_token_id=pad,
        decoder_start_token_id=pad,
        eos_token_id=vocab["</s>"],
        forced_eos_token_id=vocab["</s>"],
    )
    model = MarianMTModel(config)
    with torch.no_grad():
        # trained models give <pad> (the decoder's start, never an output) a negligible probability; CTranslate2
        # drops it from the vocabulary, so a random model's ~1/V for it would shift every log-prob it reports
        model.final_logits_bias[0, pad] = PAD_LOGIT_BIAS
    model.generation_config.pad_token_id = pad
    model.generation_config.decoder_start_token_id = pad
    model.generation_config.eos_token_id = vocab["</s>"]
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


TINY_REGISTRY = {
    "tiny-marian": ("marian", ["translation"], None),
    "tiny-bert2bert": ("bert2bert", ["translation"], "bert2bert"),
    "tiny-qa": ("qa", ["qa"], None),
    "tiny-bert": ("bert", ["encoder", "embeddings"], None),
}


def build_all(root: Path) -> dict[str, Path]:
    """Every tiny model under ``root`` and a registry.toml naming them ``tiny-*``."""
    paths = {
        "marian": build_marian(root / "marian"),
        "bert2bert": build_bert2bert(root / "bert2bert"),
        "qa": build_distilbert_qa(root / "qa"),
        "bert": build_bert(root / "bert"),
    }
    lines = []
    for key, (name, tasks, recipe) in TINY_REGISTRY.items():
        lines += [
            f"[models.{key}]",
            f'path = "{paths[name]}"',
            f"tasks = {json.dumps(tasks)}",
            f'description = "tiny {name} for tests"',
        ]
        if recipe:
            lines.append(f'recipe = "{recipe}"')
        if name == "marian":
            lines.append('languages = ["en", "de"]')
        lines.append("")
    paths["registry"] = root / "registry.toml"
    paths["registry"].write_text("\n".join(lines), encoding="utf-8")
    return paths
