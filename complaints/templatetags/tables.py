"""`{% tableregion name [extra_class] %}<table>…</table>{% endtableregion %}`: a wide table in a
scroll region of its own (templates/_table_region.html), so that the page never scrolls sideways
and the keyboard can reach the columns off screen (docs/product.md, "a cheap Android phone")."""

from django import template

register = template.Library()


class TableRegionNode(template.Node):
    def __init__(self, name, extra_class, nodelist):
        self.name, self.extra_class, self.nodelist = name, extra_class, nodelist

    def render(self, context):
        region = context.template.engine.get_template("_table_region.html")
        values = {
            "name": self.name.resolve(context),
            "extra_class": self.extra_class.resolve(context) if self.extra_class else "",
            "table": self.nodelist.render(context),  # already safe: the rendered template
        }
        with context.push(**values):
            return region.render(context)


@register.tag
def tableregion(parser, token):
    bits = token.split_contents()
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError("tableregion takes the table's name and an optional class")
    name = parser.compile_filter(bits[1])
    extra_class = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    nodelist = parser.parse(("endtableregion",))
    parser.delete_first_token()
    return TableRegionNode(name, extra_class, nodelist)
