"""The Gradio UI, one module per tab and per view of the Translate tab's result (plus common.py, the pieces they
share, and gradio_patches.py, every reliance on a gradio internal); app.py assembles them.

A tab module has ``build_<tab>_tab()``, a view module ``build_<view>_view(tab)``: each lays out its part and wires
its events, and has the event handlers themselves: check, call the ``translator`` function, render the result with
``translator.render``. ui/ imports only ``translator``'s public names and ``translator.render``.
"""
