"""The Gradio UI, one module per tab (plus common.py, the pieces they share); app.py assembles them.

A tab module has ``build_<tab>_tab()``, which lays out the tab and wires its events, and the event
handlers themselves: check, call the ``translator`` function, render the result with ``translator.render``.
"""
