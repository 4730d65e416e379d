"""A small document model written out as Markdown and as self-contained HTML
(images inline as data URIs, so the file survives being mailed)."""

import base64
import html
import os
import re


class Doc:
    def __init__(self, title):
        self.title = title
        self.blocks = [("h1", title)]

    def h2(self, text):
        self.blocks.append(("h2", text))

    def h3(self, text):
        self.blocks.append(("h3", text))

    def p(self, text):
        self.blocks.append(("p", text))

    def ul(self, items):
        if items:
            self.blocks.append(("ul", list(items)))

    def table(self, header, rows, align=None):
        """align: a string of l/r per column."""
        self.blocks.append(("table", list(header), [list(r) for r in rows],
                            align or "l" * len(header)))

    def image(self, path, alt):
        """path: the image file; written relative to the document in Markdown."""
        self.blocks.append(("img", path, alt))

    # Markdown.
    def markdown(self, base_dir):
        out = []
        for b in self.blocks:
            kind = b[0]
            if kind == "h1":
                out.append("# " + b[1])
            elif kind == "h2":
                out.append("## " + b[1])
            elif kind == "h3":
                out.append("### " + b[1])
            elif kind == "p":
                out.append(b[1])
            elif kind == "ul":
                out.append("\n".join("- " + i for i in b[1]))
            elif kind == "table":
                _, header, rows, align = b
                cell = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
                lines = ["| " + " | ".join(cell(h) for h in header) + " |",
                         "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"]
                lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
                out.append("\n".join(lines))
            elif kind == "img":
                rel = os.path.relpath(b[1], base_dir)
                out.append("![%s](%s)" % (b[2], rel.replace(os.sep, "/")))
        return "\n\n".join(out) + "\n"

    # HTML.
    def html(self):
        body = []
        for b in self.blocks:
            kind = b[0]
            if kind in ("h1", "h2", "h3"):
                body.append("<%s>%s</%s>" % (kind, inline(b[1]), kind))
            elif kind == "p":
                body.append("<p>%s</p>" % inline(b[1]))
            elif kind == "ul":
                body.append("<ul>\n%s\n</ul>" % "\n".join("<li>%s</li>" % inline(i)
                                                         for i in b[1]))
            elif kind == "table":
                _, header, rows, align = b
                th = "".join('<th class="%s">%s</th>' % (a, inline(str(h)))
                             for h, a in zip(header, align))
                trs = "\n".join("<tr>%s</tr>" % "".join(
                    '<td class="%s">%s</td>' % (a, inline(str(c))) for c, a in zip(r, align))
                    for r in rows)
                body.append("<table>\n<tr>%s</tr>\n%s\n</table>" % (th, trs))
            elif kind == "img":
                with open(b[1], "rb") as f:
                    data = base64.b64encode(f.read()).decode("ascii")
                body.append('<figure><img alt="%s" src="data:image/png;base64,%s"></figure>'
                            % (html.escape(b[2], quote=True), data))
        return (_HEAD % html.escape(self.title)) + "\n".join(body) + "\n</body>\n</html>\n"


_HEAD = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>%s</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 72em;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #eee; padding-bottom: .15em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0 1em; font-size: 92%%; }
th, td { border: 1px solid #d0d0d0; padding: .25em .6em; vertical-align: top; }
th { background: #f3f3f3; }
td.r, th.r { text-align: right; white-space: nowrap; }
code { background: #f4f4f4; padding: 0 .25em; border-radius: 3px; font-size: 92%%; }
figure { margin: 1em 0; }
img { max-width: 100%%; height: auto; border: 1px solid #eee; }
</style>
</head>
<body>
"""

_INLINE = re.compile(r"(\*\*(.+?)\*\*|`([^`]+)`)")


def inline(text):
    """HTML for the Markdown subset used in reports: **bold** and `code`."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos:m.start()]))
        if m.group(2) is not None:
            out.append("<strong>%s</strong>" % html.escape(m.group(2)))
        else:
            out.append("<code>%s</code>" % html.escape(m.group(3)))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)
