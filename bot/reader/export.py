"""Exporting a trained reader to ONNX, int8: what ships in the package (``benchmarks/train_reader.py`` calls it)."""

from __future__ import annotations

from pathlib import Path

from bot.reader.model import ONNX_FILE

__all__ = ["export_onnx"]


def export_onnx(out: Path) -> Path:
    """``out``'s model as ONNX, quantised to int8 (dynamic quantisation of the weights)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    enc = tokenizer(["a question?"], ["a sentence."], return_tensors="pt")
    folder = out / "onnx"
    folder.mkdir(exist_ok=True)
    full = folder / "model.onnx"
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(model, tuple(enc[n] for n in names), str(full), input_names=names, output_names=["logits"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    quantised = out / ONNX_FILE
    quantize_dynamic(str(full), str(quantised), weight_type=QuantType.QInt8)
    full.unlink()
    return quantised
