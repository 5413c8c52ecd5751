"""BERT-base's encoder at sequence length 128, batch 1.

J. Devlin, M.-W. Chang, K. Lee and K. Toutanova, "BERT: Pre-training of Deep Bidirectional Transformers for
Language Understanding", NAACL 2019, Sec. 3: BERT-base has L = 12 layers, hidden size H = 768, A = 12
attention heads (64 per head) and a feed-forward size of 4H = 3072 (the Transformer encoder of Vaswani et
al., NeurIPS 2017, Sec. 3). Per layer: the query, key and value projections and the attention output
projection (768 x 768 matmuls over the 128 tokens), the scores QK^T and the weighted values AV as batched
matmuls over the 12 heads, the softmax (one LUT lookup per score), the two feed-forward matmuls with a GELU
between them (a lookup per element), and two residual adds; layer norms and the embeddings are left out.
11.17G MACs; 84.9M weights (the encoder's matrices; BERT-base's 110M also counts the embeddings, biases and
layer norms).
"""

from __future__ import annotations

from loopscape.workload.layers import activation, batched_matmul, elementwise, matmul
from loopscape.workload.networks.network import Network
from loopscape.workload.workload import Workload

SOURCE = "Devlin, Chang, Lee, Toutanova, NAACL 2019 (BERT-base: L=12, H=768, A=12, FFN 3072); seq 128"

LAYERS, HIDDEN, HEADS, FFN = 12, 768, 12, 3072
SEQUENCE = 128


def bert_base(sequence: int = SEQUENCE) -> Network:
    """layer{i}.query/key/value/scores/softmax/context/output/add1/ffn1/gelu/ffn2/add2 for i = 0..11."""
    head = HIDDEN // HEADS
    layers: list[Workload] = []
    for i in range(LAYERS):
        n = f"layer{i}"
        layers += [
            matmul(f"{n}.query", M=sequence, N=HIDDEN, K=HIDDEN, weights=True),
            matmul(f"{n}.key", M=sequence, N=HIDDEN, K=HIDDEN, weights=True),
            matmul(f"{n}.value", M=sequence, N=HIDDEN, K=HIDDEN, weights=True),
            # scores[h, i, j] = sum_d Q[h, i, d] K[h, j, d]: B = heads, M = N = tokens, K = head size
            batched_matmul(f"{n}.scores", B=HEADS, M=sequence, N=sequence, K=head),
            activation(f"{n}.softmax", "softmax", B=HEADS, M=sequence, N=sequence),
            # context[h, i, d] = sum_j P[h, i, j] V[h, j, d]
            batched_matmul(f"{n}.context", B=HEADS, M=sequence, N=head, K=sequence),
            matmul(f"{n}.output", M=sequence, N=HIDDEN, K=HIDDEN, weights=True),
            elementwise(f"{n}.add1", "add", M=sequence, N=HIDDEN),
            matmul(f"{n}.ffn1", M=sequence, N=FFN, K=HIDDEN, weights=True),
            activation(f"{n}.gelu", "gelu", M=sequence, N=FFN),
            matmul(f"{n}.ffn2", M=sequence, N=HIDDEN, K=FFN, weights=True),
            elementwise(f"{n}.add2", "add", M=sequence, N=HIDDEN),
        ]
    return Network("bert_base", tuple(layers), SOURCE)
