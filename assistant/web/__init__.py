"""The web chat and its API, a face over the same functions as the CLI: ``app.py`` binds the
Gradio app (``build_app``, ``launch``), ``service.py`` owns the process's one ``Library`` and
``Assistant``, ``chat.py`` runs a turn, ``render.py`` and ``page.py`` draw it, ``documents.py``
opens a cited document, ``auth.py``/``signin.py`` decide who may use it and ``request_size.py``
bounds a request's body."""
