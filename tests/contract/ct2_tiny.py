"""A real, tiny CTranslate2 model built offline: a one-layer Transformer that copies its
input, and a SentencePiece model trained on generated lines.

The weights are constructed, not trained, so the tests can assert exact output:

- ``d_model = V + P``: the first ``V`` dimensions are one-hot tokens, the last ``P``
  one-hot positions (learned position encodings set to the identity).
- Every self-attention and feed-forward block writes zeros, so each is the identity
  through its residual connection. The decoder's token embeddings are zero: a decoder
  step knows only its position ``t``.
- The decoder's cross-attention matches query positions to key positions, so step ``t``
  attends to source token ``t``; its values carry that token's one-hot, and the output
  projection reads it back. The decoder thus emits source token ``t`` at step ``t``,
  up to and including the source's end token.

A source prefix token at position 0 and a forced target prefix at step 0 line up the same
way, so multilingual handling (``__en__`` ... ``__ja__``) round-trips too. A pipeline
that drops, shifts or mangles tokens shows up as output that differs from the input.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import sentencepiece
from ctranslate2.specs import attention_spec, common_spec, transformer_spec

#: Longest sequence the model can encode or decode (learned positions).
POSITIONS = 128
_FFN = 8
_CORPUS = (
    "hello world see you soon meet at the park chat room likes today tomorrow good "
    "morning night how are we going to read books with friends and music"
)
_WORDS = _CORPUS.split()
#: Every character the tests use, so that nothing becomes ``<unk>``.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 .,;:!?'\"()-"


def train_spm(lines: int = 300, vocab_size: int = 120, seed: int = 0) -> bytes:
    """A SentencePiece model (serialized) trained on generated English-ish lines."""
    rng = random.Random(seed)
    text = [ALPHABET]
    for _ in range(lines):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(3, 9))]
        text.append(" ".join(words).capitalize() + rng.choice(".!?"))
    out = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(text),
        model_writer=out,
        vocab_size=vocab_size,
        character_coverage=1.0,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return out.getvalue()


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape, dtype=np.float32)


def _sparse(
    shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray, scale: float = 1.0
) -> np.ndarray:
    """A matrix of zeros but ``scale`` at each ``(rows[i], cols[i])``."""
    m = _zeros(*shape)
    m[rows, cols] = scale
    return m


def build_copy_model(
    folder: Path,
    spm_model: bytes,
    *,
    extra_tokens: Sequence[str] = (),
    add_source_eos: bool = True,
    decoder_start_token: str = "<s>",
) -> None:
    """Write a CTranslate2 copy model into ``folder`` (model.bin, config.json, vocabulary).

    Its vocabulary is the SentencePiece pieces plus ``extra_tokens`` (language tokens).
    ``add_source_eos`` is what the Marian converter writes; the Hugging Face converter
    leaves it off, and the caller must append ``</s>``."""
    sp = sentencepiece.SentencePieceProcessor(model_proto=spm_model)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())] + list(extra_tokens)
    v, p = len(vocab), POSITIONS
    d = v + p
    tokens, positions = np.arange(v), np.arange(p)

    spec = transformer_spec.TransformerSpec.from_config(num_layers=1, num_heads=1)
    encoder, decoder = spec.encoder, spec.decoder

    def norm(ln: common_spec.LayerNormSpec) -> None:
        ln.gamma = np.ones(d, dtype=np.float32)
        ln.beta = _zeros(d)

    def silent_attention(att: attention_spec.MultiHeadAttentionSpec) -> None:
        norm(att.layer_norm)
        att.linear[0].weight, att.linear[0].bias = _zeros(3 * d, d), _zeros(3 * d)
        att.linear[1].weight, att.linear[1].bias = _zeros(d, d), _zeros(d)

    def silent_ffn(ffn: transformer_spec.FeedForwardSpec) -> None:
        norm(ffn.layer_norm)
        ffn.linear_0.weight, ffn.linear_0.bias = _zeros(_FFN, d), _zeros(_FFN)
        ffn.linear_1.weight, ffn.linear_1.bias = _zeros(d, _FFN), _zeros(d)

    position_encodings = _sparse((p, d), positions, v + positions)

    encoder.embeddings[0].weight = _sparse((v, d), tokens, tokens)
    encoder.scale_embeddings = False
    encoder.position_encodings.encodings = position_encodings
    norm(encoder.layer_norm)
    for layer in encoder.layer:
        silent_attention(layer.self_attention)
        silent_ffn(layer.ffn)

    decoder.embeddings.weight = _zeros(v, d)
    decoder.scale_embeddings = False
    decoder.position_encodings.encodings = position_encodings.copy()
    norm(decoder.layer_norm)
    for layer in decoder.layer:
        silent_attention(layer.self_attention)
        silent_ffn(layer.ffn)
        cross = layer.attention
        norm(cross.layer_norm)
        # Queries and keys: the position dimensions; values: the token dimensions.
        query = _sparse((d, d), v + positions, v + positions, scale=2.0)
        key_value = _sparse((2 * d, d), v + positions, v + positions)
        key_value[d + tokens, tokens] = 1.0
        cross.linear[0].weight, cross.linear[0].bias = query, _zeros(d)
        cross.linear[1].weight, cross.linear[1].bias = key_value, _zeros(2 * d)
        cross.linear[2].weight = _sparse((d, d), tokens, tokens)
        cross.linear[2].bias = _zeros(d)
    decoder.projection.weight = _sparse((v, d), tokens, tokens, scale=4.0)
    decoder.projection.bias = _zeros(v)

    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.config.add_source_eos = add_source_eos
    spec.config.decoder_start_token = decoder_start_token
    spec.validate()
    spec.optimize()
    folder.mkdir(parents=True, exist_ok=True)
    spec.save(str(folder))
