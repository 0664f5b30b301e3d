"""Terminal UI front (Textual): a thin adapter over coder's core (``coder.workspace``).

``tui/app.py`` wires the screens; one screen per file under ``screens/``, one widget
per file under ``widgets/``, each with its ``.tcss`` beside it. Model calls, indexing
and file listing run in thread workers that report through the messages in
``tui/messages.py``; no worker touches a widget."""
