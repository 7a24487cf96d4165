"""The Gradio page, one module per part: each holds a small dataclass of its components, a
function that places them (call it inside the page's ``gr.Blocks``) and one that wires their
events. ``app.py`` places the parts in the page's layout and wires each.

- ``chat``: the Chat tab (ask, Stop, New chat, examples, the answer's Sources box) and
  ``takeaway`` (export, copy, download, thumbs up / down);
- ``search`` and ``article``: the Search tab and the whole article behind any title link;
- ``briefing``: the Briefing tab; ``watchlist``: the saved searches beside the tabs;
- ``filters``: the Search settings every tab reads (model, passages, dates, sources);
- ``index``: the Index panel (what is indexed, coverage, upload, paste) and ``feeds``, its
  Feeds tab;
- ``api``: the ``/ask`` endpoint;
- ``startup_probe``: Gradio's start-up check that the page answers, made patient.

This is the only package that imports ``gradio``. The handlers are ``webui``'s, free of it,
so they test without a server (``webui/__init__.py`` says what it may import); dependencies
flow ``app.py -> pages -> webui -> qa -> embeddings``.
"""

from . import api, article, briefing, chat, feeds, filters, index, search, takeaway, watchlist

__all__ = ["api", "article", "briefing", "chat", "feeds", "filters", "index", "search", "takeaway", "watchlist"]
