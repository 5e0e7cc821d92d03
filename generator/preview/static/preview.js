// chanjiao preview: draws the page's data as it arrives over Server-Sent Events.
// Every piece of content goes into the page as text (textContent, never innerHTML): a 联合体名称
// or a Markdown paragraph containing <script> is shown as those characters.
"use strict";

(function () {
  const token = document.querySelector('meta[name="chanjiao-token"]').content;
  const PHASES = {
    starting: "正在启动…", checking: "校验中", rendering: "生成 Word 文档", converting: "转换为 PDF",
    rasterising: "生成页面图片", inspecting: "读回核对", done: "已完成", failed: "失败",
  };
  let current = null; // the id of the document shown
  let shownVersion = 0;
  const figures = {}; // document id → [figure elements]

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else node.setAttribute(k, String(v));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  function replace(id, ...children) {
    const node = document.getElementById(id);
    node.replaceChildren(...children);
    return node;
  }

  function diagnosticItem(d) {
    return el("li", { class: d.severity },
      el("span", { class: "where" }, d.where), " ",
      el("span", { class: "severity" }, d.severity === "error" ? "错误" : "警告"), " ",
      el("span", { class: "message" }, d.message));
  }

  function bar(value, limit) {
    const share = limit ? Math.min(100, (100 * value) / limit) : 0;
    return el("div", { class: "bar" + (limit && value > limit ? " over" : "") },
      el("div", { class: "fill", "data-share": share.toFixed(1) }));
  }

  function sizeBars() {
    // The bar's width is set here, not in a style attribute: the page's policy allows no inline styles.
    for (const fill of document.querySelectorAll(".bar .fill")) fill.style.width = fill.dataset.share + "%";
  }

  function drawStatus(state) {
    const s = state.status || {};
    let text = PHASES[s.phase] || s.phase || "";
    if (s.message) text = s.message;
    replace("status", text);
    document.body.dataset.phase = s.phase || "";
    const failure = document.getElementById("failure");
    if (s.phase === "failed") {
      failure.hidden = false;
      failure.replaceChildren(
        el("strong", {}, s.message || "重新生成失败"), " ", el("span", { class: "reason" }, s.reason || ""),
        el("ul", {}, ...(s.errors || []).map(diagnosticItem)));
    } else if (s.phase === "done" || s.phase === "inspecting") {
      failure.hidden = true;
      failure.replaceChildren();
    }
    const notice = document.getElementById("notice");
    notice.hidden = !state.notice;
    notice.textContent = state.notice || "";
  }

  function drawReport(state) {
    const report = state.report;
    if (!report) return;
    replace("verdict", report.verdict).className = report.ok ? "ok" : "bad";
    const diags = [...report.diagnostics, ...(state.page_diagnostics || [])];
    replace("diagnostics", ...diags.map(diagnosticItem));
    replace("diag-count", diags.length ? `（${diags.length}）` : "");
    const rows = report.limits.map((r) =>
      el("div", { class: "limit" + (r.over ? " over" : "") + (r.limit ? "" : " unlimited"), "data-field": r.field },
        el("div", { class: "label" }, el("span", { class: "field" }, r.field), " ",
          el("span", { class: "count" }, r.limit ? `${r.words} / ${r.limit} 字` : `${r.words} 字`)),
        r.limit ? bar(r.words, r.limit) : null,
        el("div", { class: "where" }, r.where)));
    replace("limits", ...rows);
    drawCoverage(report);
    sizeBars();
  }

  const DECLARED = { no: "否", yes: "是", missing: "未填写" };

  function evidenceText(e) {
    return `${e.file}:${e.line}` + (e.heading ? ` ${e.heading}` : "") + ` · ${e.chars}字` + (e.page ? ` · 第${e.page}页` : "");
  }

  // 附件2: the points no tagged prose addresses, with their official wording (what the team must
  // still write about), the declaration of 7.其他, and the covered ones folded away.
  function drawCoverage(report) {
    const items = report.coverage || [];
    const points = items.filter((c) => !c.declaration);
    const covered = points.filter((c) => c.covered);
    const uncovered = points.filter((c) => !c.covered);
    replace("coverage-count", points.length ? `（已回应 ${covered.length}/${points.length}）` : "");
    const blocks = [];
    if (uncovered.length) {
      blocks.push(el("ul", { class: "uncovered" }, ...uncovered.map((c) =>
        el("li", { class: "warning", "data-id": c.id },
          el("span", { class: "point" }, c.label), " ", el("span", { class: "severity" }, "未回应"), " ",
          el("span", { class: "message" }, c.title)))));
    }
    for (const c of items.filter((x) => x.declaration)) {
      const d = c.declaration;
      const text = `声明：${DECLARED[d.state] || d.state}` + (d.detail ? `（${d.detail}）` : "");
      blocks.push(el("p", { class: "declaration " + d.state, "data-id": c.id },
        el("span", { class: "point" }, c.label), " ", text));
    }
    if (covered.length) {
      blocks.push(el("details", { class: "covered" }, el("summary", {}, `已回应的观测点（${covered.length}）`),
        el("ul", {}, ...covered.map((c) =>
          el("li", { "data-id": c.id }, el("span", { class: "point" }, c.label), ` ${c.evidence.length} 处 · ${c.chars}字`,
            el("ul", { class: "evidence" }, ...c.evidence.map((e) => el("li", { class: "where" }, evidenceText(e)))))))));
    }
    replace("coverage", ...blocks);
  }

  function drawPageCounts(state) {
    const blocks = (state.documents || []).map((d) =>
      el("div", { class: "pagecount" + (d.page_limit && d.page_count > d.page_limit ? " over" : "") },
        el("div", { class: "label" }, `${d.title}：${d.page_count} 页` + (d.page_limit ? ` / 上限 ${d.page_limit} 页` : "")),
        d.page_limit ? bar(d.page_count, d.page_limit) : null,
        el("ul", { class: "parts" }, ...d.parts.map((p) =>
          el("li", { class: p.limit && p.pages > p.limit ? "over" : "" },
            `${p.title}：${p.pages} 页` + (p.limit ? ` / 上限 ${p.limit} 页` : ""))))));
    replace("pagecounts", ...blocks);
    const layout = (state.documents || []).flatMap((d) => d.layout.map((x) => ({ ...x, where: `${d.title} ${x.where}` })));
    replace("layout", ...layout.map(diagnosticItem));
    const pending = (state.documents || []).some((d) => d.page_count && !d.inspected);
    replace("layout-count", pending ? "（核对中…）" : layout.length ? `（${layout.length}）` : "（无）");
    sizeBars();
  }

  function pageFigure(doc, page) {
    const img = el("img", { src: page.src, width: page.width, height: page.height, alt: `${doc.title} 第 ${page.n} 页`, loading: "lazy" });
    const figure = el("figure", { class: "page", id: `page-${doc.id}-${page.n}` },
      img,
      el("figcaption", {}, `第 ${page.n} 页`, el("span", { class: "badge" }, "已更新")),
      el("details", { class: "pagetext" }, el("summary", {}, "本页文字"), el("pre", {}, "")));
    return figure;
  }

  function drawDocument(doc) {
    let list = figures[doc.id];
    if (!list) {
      list = figures[doc.id] = [];
    }
    const holder = document.getElementById(`doc-${doc.id}`) || el("div", { class: "document", id: `doc-${doc.id}` });
    if (!holder.parentNode) document.getElementById("pages").append(holder);
    doc.pages.forEach((page, i) => {
      if (!list[i]) {
        list[i] = pageFigure(doc, page);
        holder.append(list[i]);
      }
      const figure = list[i];
      const img = figure.querySelector("img");
      if (img.getAttribute("src") !== page.src) img.setAttribute("src", page.src);
      figure.classList.toggle("changed", page.changed);
      figure.querySelector("pre").textContent = page.text;
    });
    while (list.length > doc.pages.length) list.pop().remove();
    holder.hidden = doc.id !== current;
  }

  function drawTabs(state) {
    const docs = state.documents || [];
    if (!current && docs.length) current = docs[0].id;
    const updated = docs.find((d) => d.updated && d.pages.some((p) => p.changed));
    const follow = document.getElementById("follow").checked;
    if (updated && follow && state.version !== shownVersion) current = updated.id;
    replace("tabs", ...docs.map((d) => {
      const changed = d.pages.filter((p) => p.changed).length;
      const tab = el("button", { type: "button", class: "tab" + (d.id === current ? " current" : ""), "data-doc": d.id },
        `${d.title}（${d.page_count} 页）`, changed ? el("span", { class: "badge" }, `${changed} 页已更新`) : null);
      tab.addEventListener("click", () => { current = d.id; draw(lastState, true); });
      return tab;
    }));
    const files = docs.flatMap((d) => d.files.map((f) => el("a", { href: "/files/" + encodeURIComponent(f), target: "_blank", rel: "noopener" }, f)));
    document.getElementById("tabs").append(el("span", { class: "files" }, ...files));
    return updated && follow && state.version !== shownVersion ? updated : null;
  }

  let lastState = null;
  let scrolledFor = "";
  // The version at which each field of the state was last drawn: a status update (several per
  // save) redraws the status alone, not the report and every page's text, and leaves what the
  // writer opened (the covered points, a page's text) open.
  const drawnAt = {};
  function changedSinceDrawn(state, ...keys) {
    const changed = state.changed || {};
    return keys.some((k) => changed[k] === undefined || changed[k] !== drawnAt[k]);
  }

  function draw(state, force) {
    lastState = state;
    document.title = (state.title ? state.title + " · " : "") + "chanjiao 预览";
    replace("title", state.title || "chanjiao 预览");
    drawStatus(state);
    const report = force || changedSinceDrawn(state, "report", "page_diagnostics");
    const pages = force || changedSinceDrawn(state, "documents", "page_diagnostics");
    if (report) drawReport(state);
    if (pages) drawPageCounts(state);
    for (const k of ["report", "documents", "page_diagnostics"]) drawnAt[k] = (state.changed || {})[k];
    const jump = drawTabs(state);
    if (pages) for (const doc of state.documents || []) drawDocument(doc);
    else for (const doc of state.documents || []) {
      const holder = document.getElementById(`doc-${doc.id}`);
      if (holder) holder.hidden = doc.id !== current;
    }
    if (jump) {
      const first = jump.pages.find((p) => p.changed);
      const key = jump.id + first.src;
      if (first && key !== scrolledFor) {
        scrolledFor = key;
        document.getElementById(`page-${jump.id}-${first.n}`).scrollIntoView({ block: "start" });
      }
    }
    shownVersion = state.version;
    document.body.dataset.version = String(state.version);
  }

  const events = new EventSource("/api/events");
  events.addEventListener("state", (e) => draw(JSON.parse(e.data)));
  events.addEventListener("error", () => {
    replace("status", "与预览服务的连接已断开（chanjiao preview 是否已退出？），正在重试…");
    document.body.dataset.phase = "disconnected";
  });

  document.getElementById("rebuild").addEventListener("click", () => {
    fetch("/api/rebuild", { method: "POST", headers: { "X-Chanjiao-Token": token } });
  });
})();
