"""The languages the JavaScript resolver serves, in a module of its own: callers
that only ask "is this JavaScript?" (the review hook on a Python diff) need not load
the resolver."""

JS_LANGUAGES = ("javascript", "typescript", "tsx")
