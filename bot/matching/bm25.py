"""BM25 retrieval over documents of unit ids (the matcher's recall step).

The scores are exactly those of `bm25s.BM25()` with its defaults (the Lucene variant,
k1 = 1.5, b = 0.75, float32 scores): the same formulas, in the same floating-point
types and order of operations, so a document scores the very same float32 value. What
differs is the build: bm25s builds its matrix one document at a time in Python (a
second for a 10,000-entry knowledge base, and lists of all documents kept on the way);
here it is a few numpy operations over the documents stored as one array of unit ids.

Every unit occurs at most once in a document (its term frequency is 1).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

K1 = 1.5
B = 0.75
_CHUNK = 1 << 16


class BM25:
    """A BM25 index: per unit, the documents that contain it and their scores."""

    def __init__(
        self, doc_units: npt.NDArray[np.int32], doc_ptr: npt.NDArray[np.int64], vocab: int
    ):
        """Index documents given as CSR: document d has units `doc_units[ptr[d]:ptr[d+1]]`.

        Unit ids are 0 … vocab - 1; no id may repeat within a document.
        """
        self.num_docs = n_docs = len(doc_ptr) - 1
        lengths = np.diff(doc_ptr).astype(np.int64)
        # bm25s: np.array([len(doc) …]).mean(), a numpy float64.
        avg_doc_len = lengths.mean() if n_docs else np.float64(1.0)
        df = np.bincount(doc_units, minlength=vocab)
        idf = np.array(
            [math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) if d else 0.0 for d in df.tolist()],
            dtype=np.float32,
        )
        # bm25s' term-frequency part, per document length, by its very expression (tf is
        # a float32 array of ones): numpy's type rules then give the same dtype and values.
        tf = np.ones(1, dtype=np.float32)
        by_length = [
            tf / (K1 * ((1 - B) + B * length / avg_doc_len) + tf)
            for length in range(int(lengths.max(initial=0)) + 1)
        ]
        tfc = np.concatenate(by_length) if by_length else np.zeros(0, dtype=np.float32)
        # Column-major (by unit, then by document), as bm25s stores it: documents are in
        # order, so a stable sort by unit gives it.
        order = np.argsort(doc_units, kind="stable")
        self.indices = np.repeat(np.arange(n_docs, dtype=np.int32), lengths)[order]
        units = doc_units[order]
        del order
        self.data = np.empty(len(units), dtype=np.float32)
        for start in range(0, len(units), _CHUNK):  # in chunks: small temporary arrays
            part = slice(start, start + _CHUNK)
            self.data[part] = idf[units[part]] * tfc[lengths[self.indices[part]]]
        self.indptr = np.zeros(vocab + 1, dtype=np.int64)
        np.cumsum(df, out=self.indptr[1:])

    def scores(self, units: list[int]) -> npt.NDArray[np.float32]:
        """The score of every document for a query of distinct unit ids (bm25s' order)."""
        scores = np.zeros(self.num_docs, dtype=np.float32)
        for unit in units:
            start, end = self.indptr[unit], self.indptr[unit + 1]
            # A document appears once per unit: a plain indexed add is np.add.at here.
            scores[self.indices[start:end]] += self.data[start:end]
        return scores
