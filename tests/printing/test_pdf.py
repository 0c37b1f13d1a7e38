"""HTML → PDF: the Chinese comes out as real embedded glyphs, the paper is honoured, and the
HTML cannot read files or reach the network."""
import subprocess

import pytest
from PIL import Image

from app.core.errors import BusinessError
from app.printing import kinds, services
from tests.printing.conftest import needs_poppler, pdf_png, pdf_text

CHINESE = "安居置业集团 认购书 壹拾贰万叁仟肆佰伍拾陆元柒角捌分"


def test_font_is_shipped_with_its_licence():
    import os
    assert os.path.isfile(services.FONT_PATH)
    assert os.path.getsize(services.FONT_PATH) > 1_000_000
    assert os.path.isfile(os.path.join(services.FONT_DIR, "LICENSE-Apache-2.0.txt"))


@needs_poppler
def test_chinese_text_is_extractable_and_the_font_embedded(tmp_path):
    data = services.to_pdf("<h1>%s</h1><p style='font-family: SimSun'>宋体也能显示</p>"
                           "<p style='font-family: \"Times New Roman\"'>Times 中文</p><pre>等宽 中文</pre>" % CHINESE)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert CHINESE in text
    assert "宋体也能显示" in text and "Times 中文" in text and "等宽 中文" in text
    path = tmp_path / "out.pdf"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk, fonts
    # embedded (emb), subset (sub) and with a ToUnicode map (uni)
    assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in cjk), fonts


@needs_poppler
def test_page_renders_to_an_image_with_dark_glyphs(tmp_path):
    data = services.to_pdf("<div style='font-size: 40pt'>中文字形测试</div>")
    png = pdf_png(data, tmp_path, "printing-glyphs")
    image = Image.open(png).convert("L")
    assert image.size[0] > 300
    # the characters put ink on the page; boxes for missing glyphs would be thin outlines,
    # and "no font" would be blank
    dark = sum(1 for p in image.getdata() if p < 128)
    assert dark > 800


@needs_poppler
def test_roster_sample_prints(tmp_path, app):
    with app.test_request_context():
        kind = services.get_kind(kinds.ORG_ROSTER)
        html = services.render(kinds.ROSTER_HTML, services.sample_context(kind, "测试员"))
        data = services.to_pdf(html, "a4")
    text = pdf_text(data, tmp_path)
    assert "示例置业集团" in text and "组织架构花名册" in text and "打印人：测试员" in text
    pdf_png(data, tmp_path, "printing-roster-sample")


@needs_poppler
@pytest.mark.parametrize("paper, width, height", [
    ("a4", 595, 842), ("a4_landscape", 842, 595), ("a5", 420, 595), ("a5_landscape", 595, 420),
])
def test_paper_size(tmp_path, paper, width, height):
    for html in ("<p>纸张</p>", "<style>@page { margin: 1cm; }</style><p>纸张</p>"):
        data = services.to_pdf(html, paper)
        path = tmp_path / "p.pdf"
        path.write_bytes(data)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        size = [line for line in info.splitlines() if line.startswith("Page size")][0].split()
        assert (round(float(size[2])), round(float(size[4]))) == (width, height), info


@needs_poppler
def test_templates_own_page_rules_keep_their_footer(tmp_path):
    html = ("<style>@page { margin: 2cm; @frame footer { -pdf-frame-content: ft; bottom: 1cm;"
            " margin-left: 2cm; margin-right: 2cm; height: 1cm; } }</style>"
            "<p>正文</p><div id='ft'>页脚第<pdf:pagenumber>页</div>")
    assert "页脚第1页" in pdf_text(services.to_pdf(html, "a5"), tmp_path)


def test_unknown_paper_is_refused():
    with pytest.raises(BusinessError):
        services.to_pdf("<p>x</p>", "letter")


@needs_poppler
@pytest.mark.parametrize("src", ["/etc/passwd", "file:///etc/hostname", "../../config.py",
                                 "http://127.0.0.1:5432/", "http://169.254.169.254/latest/meta-data/"])
def test_html_cannot_read_files_or_reach_the_network(tmp_path, src):
    data = services.to_pdf('<p>图片</p><img src="%s"><link rel="stylesheet" href="%s">' % (src, src))
    assert "图片" in pdf_text(data, tmp_path)
    assert "root:" not in pdf_text(data, tmp_path)
