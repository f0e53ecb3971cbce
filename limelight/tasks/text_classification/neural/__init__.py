"""Neural text classifiers in PyTorch (TextCNN, bidirectional GRU, fine-tuned MiniLM), trained by
one shared loop (``training``) and served from ONNX with ONNX Runtime (``serving``).

Modules: ``tokens`` (word vocabulary, MiniLM word pieces), ``networks`` (the three nn.Modules),
``training`` (AdamW, early stopping, budget, progress), ``estimator`` (fit / predict_proba /
save as ONNX), ``serving`` (the ONNX Runtime classifier; imports no torch), ``algorithm`` (what
the three Algorithm classes share), ``minilm`` (the offline Transformer).
"""
