"""What each ``notion-syncd`` verb does; ``cli.py`` only parses arguments and dispatches here.

One module per verb or small group: ``sync`` (one sync, its summary and exit status),
``status``, ``push``, ``render`` (rebuild views offline), ``history`` (``history`` and
``show --at``), ``demo`` (``demo`` and ``fake-server``). The daemon (``run``) lives in
:mod:`notion_syncd.service`. Each takes the loaded settings and writes what a person reads to
the stream it is given; errors propagate to ``cli.py``, the one place that words them.
"""
