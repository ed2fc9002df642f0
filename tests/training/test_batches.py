"""Training batches and the loss: the library collator and the model's own loss equal teacher forcing by hand."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from translator.text.formats.parallel import Pair, ParallelCorpus
from translator.training.batches import collator, prepare_data
from translator.training.config import FinetuneConfig
from translator.training.loop import seq2seq_loss
from translator.training.warmstart import warm_start


# EncoderDecoderModel's notice with every label loss; the training loop hides it the same way
@pytest.mark.filterwarnings("ignore:Version v4.12.0 introduces:FutureWarning")
def test_library_collation_and_loss_equal_teacher_forcing_by_hand(toy, tmp_path):
    warm = warm_start(str(toy["bert"]))
    model, tokenizer = warm.model.eval(), warm.tokenizer  # eval: no dropout, so two forward passes agree
    texts = [("ka ke ki ko", "zo zu"), ("la", "ro ru ra re ri po"), ("ma me", "pa")]
    corpus = ParallelCorpus("c.tsv", "tsv", tuple(Pair(s, t, i + 1) for i, (s, t) in enumerate(texts)), 3, 0)
    config = FinetuneConfig(corpus="c.tsv", output_dir=str(tmp_path), encoder=str(toy["bert"]), heldout_fraction=0)
    examples, _, _ = prepare_data(config, corpus, tokenizer, (64, 64))
    batch = collator(tokenizer)(examples)

    # by hand: the encoder reads [CLS] source [SEP]; the decoder reads [CLS] target and learns target [SEP]
    cls, sep, pad = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    sources = [tokenizer(s)["input_ids"] for s, _ in texts]
    targets = [tokenizer(t, add_special_tokens=False)["input_ids"] for _, t in texts]

    def padded(rows: list[list[int]], value: int) -> tuple[torch.Tensor, torch.Tensor]:
        width = max(map(len, rows))
        ids = torch.tensor([row + [value] * (width - len(row)) for row in rows])
        return ids, torch.tensor([[1] * len(row) + [0] * (width - len(row)) for row in rows])

    input_ids, attention_mask = padded(sources, pad)
    decoder_input_ids, decoder_attention_mask = padded([[cls, *t] for t in targets], pad)
    labels, _ = padded([[*t, sep] for t in targets], -100)
    assert len({len(t) for t in targets}) == 3  # padding is exercised
    assert torch.equal(batch["input_ids"], input_ids) and torch.equal(batch["attention_mask"], attention_mask)
    assert torch.equal(batch["labels"], labels)
    # the model's own shift of the labels gives the decoder input written by hand wherever a label is scored
    # (a shorter row also reads its [SEP] where the label is padding: causal attention keeps it from the rest)
    scored = labels != -100
    shifted = model.prepare_decoder_input_ids_from_labels(labels=batch["labels"])
    assert torch.equal(shifted[scored], decoder_input_ids[scored])

    with torch.no_grad():
        loss = seq2seq_loss(model, batch)
        logits = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            decoder_attention_mask=decoder_attention_mask,
        ).logits  # (batch, target, vocab)
    expected = F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100)
    torch.testing.assert_close(loss, expected, rtol=1e-6, atol=1e-6)
    assert loss.item() > 1  # a random decoder: a real loss, not a masked-out zero


def test_a_left_padding_tokenizer_still_pads_labels_after_the_target(toy, tmp_path):
    import shutil

    folder = shutil.copytree(toy["bert"], tmp_path / "bert")
    config_file = folder / "tokenizer_config.json"
    config_file.write_text(json.dumps({**json.loads(config_file.read_text()), "padding_side": "left"}))
    tokenizer = warm_start(str(folder)).tokenizer
    batch = collator(tokenizer)([{"input_ids": [1, 2, 3], "labels": [7, 8]}, {"input_ids": [1], "labels": [7]}])
    # the model shifts the labels right behind [CLS]: padding before them would put it in the middle
    assert batch["labels"].tolist() == [[7, 8], [7, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
