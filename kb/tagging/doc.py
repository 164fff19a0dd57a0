"""What the tagging pipeline's components share on a Doc: the kb_tags extension, the
doc.user_data keys, and the input string kept by the tokenizer (TextKeepingTokenizer)."""
from __future__ import annotations

from spacy.tokens import Doc

if not Doc.has_extension("kb_tags"):
    Doc.set_extension("kb_tags", default=None)

TEXT = "kb_text"              # doc.user_data keys
CUE_HITS = "kb_cue_hits"
AGE_HITS = "kb_age_hits"
FLAGS = "kb_flags"
HAS_CUE = "kb_has_cue"       # doc.user_data: some token's cue key is a cue word or stem
CHILD_CONTEXT = "kb_child_context"   # the scorer's child-context gate opened (not an excluded
                                     # or repealed item; a child word, child age or strong cue)


class TextKeepingTokenizer:
    """Wraps a tokenizer and keeps the input string in doc.user_data: Doc.text rebuilds the
    string token by token in Python, which costs more than all our components together."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data[TEXT] = text
        return doc

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


def doc_text(doc: Doc) -> str:
    text = doc.user_data.get(TEXT)
    return text if text is not None else doc.text
