"""Asks a window to close as a window manager's close button does (WM_DELETE_WINDOW), so
the app sees a real close request. Usage: close-window.py TITLE"""
import sys

from Xlib import X, display, protocol

title = sys.argv[1]
d = display.Display()
protocols = d.intern_atom("WM_PROTOCOLS")
delete = d.intern_atom("WM_DELETE_WINDOW")


def windows(w):
    for child in w.query_tree().children:
        yield child
        yield from windows(child)


sent = 0
for w in windows(d.screen().root):
    try:
        name = w.get_wm_name()
    except Exception:
        continue
    if name == title:
        event = protocol.event.ClientMessage(
            window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        w.send_event(event, event_mask=X.NoEventMask)
        sent += 1
d.flush()
print(f"close requested of {sent} window(s) titled {title!r}")
sys.exit(0 if sent else 1)
