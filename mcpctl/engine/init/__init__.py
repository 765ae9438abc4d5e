"""``mcpctl init``: from "I have a server" to a passing suite in one command.

:mod:`survey` lists what the server offers and calls what the safety rule allows
(:mod:`mcpctl.engine.safety`) with arguments from :mod:`arguments`; :mod:`plan` turns the answers into
tests; :mod:`render` writes the Servers spec, the TestSuite and the pin lock; :mod:`rehearsal` runs the
suite as ``mcpctl test`` will and settles what did not hold; :mod:`author` does all of it in order.
"""
