/* regulake operations centre: fetches each panel's JSON and draws it with ECharts. No storage but the session cookie. */
(function () {
  "use strict";
  var LANG = document.body.getAttribute("data-lang") === "en" ? "en" : "zh";
  var T = {
    zh: {entities: "市场主体", registered: "每月新设立", abnormal: "近一年列入经营异常名录", noData: "暂无数据", table: "表", version: "版本",
         district: "区", industry: "行业", cls: "风险等级", probability: "风险概率", reasons: "主要原因", name: "名称", uscc: "统一社会信用代码",
         topReasons: "最常见的风险原因", plan: "计划", tasks: "任务", done: "已完成", violations: "发现问题", hitRate: "命中率 (95% 置信区间)",
         targeted: "定向抽取", random: "随机抽取", word: "词", count: "次数", keyness: "关键度", rising: "上升词", ratio: "倍数", prev: "上期",
         complaints: "投诉", hotspot: "热点", rate: "每百户投诉", time: "投诉随时间", members: "成员", score: "得分", size: "户数",
         first: "首次登记", last: "末次登记", department: "部门", catalog: "数据目录", catalogs: "目录数", delivered: "报送记录", rejected: "拒收",
         passRate: "通过率", lastDelivery: "最近报送", daysSince: "距今天数", late: "逾期", frequency: "频率", yes: "是", none: "（无）",
         movement: "较上次评分", previous: "上次评分", up: "风险上升", down: "风险下降", spared: "少打扰的守法主体（估计）",
         notReported: "尚无检查结果回填；命中率在结果公示后显示。", dereg: "每月注销", town: "镇街", status: "登记状态",
         all: "全部", generation: "数据版本", asOf: "截至", scope: "范围", filtersApplied: "适用筛选", lateCatalogs: "逾期目录"},
    en: {entities: "entities", registered: "registered per month", abnormal: "on the abnormal-operation list (365 days)", noData: "no data yet",
         table: "table", version: "version", district: "district", industry: "industry", cls: "class", probability: "probability",
         reasons: "top reasons", name: "name", uscc: "USCC", topReasons: "most frequent reasons", plan: "plan", tasks: "tasks", done: "done",
         violations: "violations found", hitRate: "hit rate (95% CI)", targeted: "targeted", random: "random", word: "word", count: "count",
         keyness: "keyness", rising: "rising words", ratio: "ratio", prev: "previous", complaints: "complaints", hotspot: "hotspot",
         rate: "complaints per 100 entities", time: "complaints over time", members: "members", score: "score", size: "entities",
         first: "first registered", last: "last registered", department: "department", catalog: "catalog", catalogs: "catalogs",
         delivered: "records delivered", rejected: "rejected", passRate: "pass rate", lastDelivery: "last delivery", daysSince: "days since",
         late: "late", frequency: "frequency", yes: "yes", none: "(none)", movement: "since the last scoring", previous: "previous scoring",
         up: "moved to a higher class", down: "moved to a lower class", spared: "law-abiding entities not disturbed (estimate)",
         notReported: "no inspection results reported yet; hit rates show once results are published.", dereg: "deregistered per month",
         town: "town", status: "registration status", all: "all", generation: "data generation", asOf: "as of", scope: "scope",
         filtersApplied: "filters applied", lateCatalogs: "late catalogs"}
  }[LANG];
  var COLORS = {A: "#4caf50", B: "#ffc107", C: "#ff7043", D: "#c62828"};
  var charts = {};
  var generation = null;

  function $(id) { return document.getElementById(id); }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]; }); }
  function num(x, d) { if (x == null) return "–"; return typeof x === "number" ? x.toLocaleString(LANG === "en" ? "en-US" : "zh-CN", {maximumFractionDigits: d == null ? 0 : d}) : esc(x); }
  function pct(x) { return x == null ? "–" : (100 * x).toFixed(1) + "%"; }
  function chart(id, option) {
    var el = $(id);
    if (!el) return;
    if (!charts[id]) charts[id] = echarts.init(el, null, {renderer: "canvas"});
    charts[id].clear();
    option.animation = false;                 // a dashboard at a desk (and a screenshot) wants the final figure at once
    charts[id].setOption(option);
  }
  function empty(id, text) { if (charts[id]) { charts[id].dispose(); delete charts[id]; } var el = $(id); if (el) el.innerHTML = '<p class="missing">' + esc(text) + "</p>"; }
  function table(id, head, rows) {
    var h = "<thead><tr>" + head.map(function (c) { return "<th>" + esc(c) + "</th>"; }).join("") + "</tr></thead><tbody>";
    h += rows.map(function (r) { return "<tr>" + r.map(function (c) { return typeof c === "object" && c && c.html != null ? "<td class=\"" + (c.cls || "") + "\">" + c.html + "</td>" : "<td" + (typeof c === "number" ? ' class="num"' : "") + ">" + (typeof c === "number" ? num(c, 3) : esc(c)) + "</td>"; }).join("") + "</tr>"; }).join("");
    $(id).innerHTML = h + "</tbody>";
  }
  function sources(panel, list) {
    var el = document.querySelector("#panel-" + panel + " .source");
    el.innerHTML = (list || []).map(function (s) {
      if (s.version == null) return '<span class="missing" data-table="' + esc(s.table) + '">' + esc(s.table) + ": " + T.noData + " — " + esc(s.missing || "") + "</span>";
      return '<span data-table="' + esc(s.table) + '" data-version="' + s.version + '">' + esc(s.table) + " " + T.version + " " + esc(s.version) + (s.note ? " (" + esc(s.note) + ")" : "") + "</span>";
    }).join(" · ");
  }
  function query() {
    var p = new URLSearchParams();
    [["from", "f-from"], ["to", "f-to"], ["district", "f-district"], ["industry", "f-industry"]].forEach(function (x) { var v = $(x[1]).value; if (v) p.set(x[0], v); });
    return p;
  }
  function get(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (r) {
      if (r.status === 401) { window.location.href = "/dashboard/login" + (LANG === "en" ? "?lang=en" : ""); throw new Error("logged out"); }
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }
  function bar(names, series, opts) {
    return Object.assign({tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 50, right: 10, top: 30, bottom: 50, containLabel: true},
      xAxis: {type: "category", data: names, axisLabel: {rotate: names.length > 6 ? 40 : 0, fontSize: 10}}, yAxis: {type: "value"}, series: series}, opts || {});
  }

  var DRAW = {
    overview: function (d) {
      if (d.entities == null) { empty("ov-treemap", T.noData); return false; }
      $("ov-entities").textContent = num(d.entities); $("ov-entities").setAttribute("data-value", d.entities);
      $("ov-abnormal").textContent = num(d.abnormal_listed_365d); $("ov-abnormal").setAttribute("data-value", d.abnormal_listed_365d == null ? "" : d.abnormal_listed_365d);
      chart("ov-treemap", {title: {text: T.entities + " · " + T.district + "/" + T.town, textStyle: {fontSize: 13}}, tooltip: {},
        series: [{type: "treemap", top: 28, bottom: 4, roam: false, nodeClick: false, breadcrumb: {show: false}, data: d.treemap,
                  label: {show: true, formatter: "{b}\n{c}", fontSize: 10},
                  levels: [{itemStyle: {borderColor: "#fff", borderWidth: 3, gapWidth: 3}, upperLabel: {show: true, height: 18, color: "#fff", fontWeight: "bold"}},
                           {colorSaturation: [0.35, 0.6], itemStyle: {gapWidth: 1, borderColorSaturation: 0.7}}]}]});
      var reg = d.registered_per_month || [], dereg = d.deregistered_per_month || [];
      var byMonth = function (rows) { var o = {}; rows.forEach(function (m) { o[m.month] = m.count; }); return o; };
      var r = byMonth(reg), x = byMonth(dereg);
      var months = Object.keys(Object.assign({}, r, x)).sort();
      chart("ov-months", bar(months, [{name: T.registered, type: "bar", data: months.map(function (m) { return r[m] || 0; }), itemStyle: {color: "#1f77b4"}},
                                      {name: T.dereg, type: "bar", data: months.map(function (m) { return x[m] || 0; }), itemStyle: {color: "#9e9e9e"}}],
        {title: {text: T.registered + " / " + T.dereg, textStyle: {fontSize: 13}, top: 0, left: "right"}, legend: {top: 0, left: 0}, grid: {left: 50, right: 10, top: 40, bottom: 50, containLabel: true}}));
      var nDereg = dereg.reduce(function (a, m) { return a + m.count; }, 0);
      $("ov-dereg").textContent = num(nDereg); $("ov-dereg").setAttribute("data-value", nDereg);
      var ab = d.abnormal_by_district || [];
      chart("ov-abnormal-chart", bar(ab.map(function (x) { return x.name; }), [{name: T.abnormal, type: "bar", data: ab.map(function (x) { return x.count; }), itemStyle: {color: "#c62828"}}],
        {title: {text: T.abnormal, textStyle: {fontSize: 13}}, legend: {show: false}}));
      return true;
    },
    risk: function (d) {
      if (d.scored == null) { empty("risk-district", T.noData); return false; }
      $("risk-classes").innerHTML = d.classes.map(function (c) { return '<div class="tile"><b id="risk-class-' + c + '" data-value="' + d.class_counts[c] + '" style="color:' + COLORS[c] + '">' + num(d.class_counts[c]) + "</b>" + T.cls + " " + c + "</div>"; }).join("") +
        '<div class="tile"><b id="risk-scored" data-value="' + d.scored + '">' + num(d.scored) + "</b>" + T.asOf + " " + esc(d.score_date) + "</div>";
      function stacked(id, rows, title, byKey) {
        chart(id, bar(rows.map(function (r) { return byKey ? r.key : r.name; }), d.classes.map(function (c) { return {name: c, type: "bar", stack: "c", data: rows.map(function (r) { return r[c]; }), itemStyle: {color: COLORS[c]}}; }),
          {title: {text: title, textStyle: {fontSize: 13}, top: 0, left: "right"}, legend: {top: 0, left: 0}, grid: {left: 40, right: 10, top: 40, bottom: 40, containLabel: true}}));
      }
      stacked("risk-district", d.by_district || [], T.cls + " × " + T.district);
      stacked("risk-industry", d.by_industry || [], T.cls + " × " + T.industry + " (GB/T 4754)", true);
      var rs = (d.top_reasons || []).slice().reverse();
      chart("risk-reasons", {title: {text: T.topReasons, textStyle: {fontSize: 13}}, tooltip: {}, grid: {left: 10, right: 20, top: 30, bottom: 10, containLabel: true},
        xAxis: {type: "value"}, yAxis: {type: "category", data: rs.map(function (r) { return (LANG === "en" ? r.description_en : r.description_zh) || r.factor; }), axisLabel: {fontSize: 10, width: 160, overflow: "truncate"}},
        series: [{type: "bar", data: rs.map(function (r) { return r.count; }), itemStyle: {color: "#ff7043"}}]});
      if (d.previous_score_date) {
        $("risk-movement").innerHTML = T.movement + " (" + esc(d.previous_score_date) + " → " + esc(d.score_date) + "): " + d.classes.map(function (c) { return c + " " + num(d.previous_class_counts[c]) + "→" + num(d.class_counts[c]); }).join(", ") +
          "; " + T.up + " " + num(d.moved_up) + ", " + T.down + " " + num(d.moved_down);
      } else { $("risk-movement").innerHTML = '<span class="missing">' + T.movement + ": " + T.noData + " — " + esc(d.movement_missing) + "</span>"; }
      table("risk-top", [T.uscc, T.name, T.district, T.cls, T.probability, T.reasons], (d.top_entities || []).map(function (e) {
        return [e.uscc, e.entity_name, e.district_name, {html: '<b style="color:' + COLORS[e.risk_class] + '">' + esc(e.risk_class) + "</b>"}, e.probability, ((LANG === "en" ? e.reasons_en : e.reasons) || []).join(LANG === "en" ? "; " : "；")]; }));
      return true;
    },
    plans: function (d) {
      if (!d.plans) { $("plans-table").innerHTML = ""; empty("plans-hit", T.noData); return false; }
      table("plans-table", [T.plan, T.tasks, T.done, T.violations], d.plans.map(function (p) { return [p.plan_name || p.plan_id, p.tasks, p.done, p.violations]; }));
      var sh = d.shares || {}, keys = ["targeted", "random"].filter(function (k) { return sh[k]; });
      var reported = keys.some(function (k) { return sh[k].done > 0; });
      if (reported) {
        chart("plans-hit", {title: {text: T.hitRate, textStyle: {fontSize: 13}}, tooltip: {}, grid: {left: 40, right: 10, top: 30, bottom: 30},
          xAxis: {type: "category", data: keys.map(function (k) { return T[k]; })}, yAxis: {type: "value", max: 1, axisLabel: {formatter: function (v) { return (100 * v) + "%"; }}},
          series: [{type: "bar", data: keys.map(function (k) { return sh[k].hit_rate; }), itemStyle: {color: "#1f77b4"}},
                   {type: "custom", renderItem: function (params, api) { var x = api.coord([api.value(0), api.value(1)]), y = api.coord([api.value(0), api.value(2)]);
                     return {type: "group", children: [{type: "line", shape: {x1: x[0], y1: x[1], x2: y[0], y2: y[1]}, style: {stroke: "#333", lineWidth: 2}},
                       {type: "line", shape: {x1: x[0] - 6, y1: x[1], x2: x[0] + 6, y2: x[1]}, style: {stroke: "#333"}}, {type: "line", shape: {x1: y[0] - 6, y1: y[1], x2: y[0] + 6, y2: y[1]}, style: {stroke: "#333"}}]}; },
                    data: keys.map(function (k, i) { return [i, sh[k].ci_low, sh[k].ci_high]; }), z: 10}]});
      } else { empty("plans-hit", T.hitRate + ": " + T.notReported); }
      $("plans-note").innerHTML = keys.map(function (k) { var s = sh[k]; return T[k] + ": " + T.tasks + " " + num(s.tasks) + ", " + T.done + " " + num(s.done) + ", " + T.hitRate + " " + pct(s.hit_rate) + (s.ci_low != null ? " [" + pct(s.ci_low) + ", " + pct(s.ci_high) + "]" : ""); }).join("<br>") +
        (d.law_abiding_spared != null ? "<br>" + T.spared + ": " + num(d.law_abiding_spared, 1) : "");
      return true;
    },
    complaints: function (d) {
      var words = d.hot_words || [];
      if (words.length) {
        var mx = Math.max.apply(null, words.map(function (w) { return w.count; }));
        chart("cp-cloud", {title: {text: (d.period || "") + " · " + esc(d.scope || ""), textStyle: {fontSize: 13}}, tooltip: {},
          series: [{type: "wordCloud", top: 24, sizeRange: [12, 44], rotationRange: [0, 0], gridSize: 6, textStyle: {color: function (p) { return ["#c62828", "#0b3c5d", "#1f77b4", "#ff7043", "#2e7d32"][p.dataIndex % 5]; }},
                    data: words.map(function (w) { return {name: w.word, value: w.count}; })}]});
      } else { empty("cp-cloud", T.noData); }
      table("cp-words", ["#", T.word, T.count, T.keyness], words.slice(0, 30).map(function (w) { return [w.rank, w.word, w.count, Math.round(w.keyness)]; }));
      table("cp-rising", ["#", T.rising + " " + esc(d.rising_period || ""), T.count, T.prev, T.ratio], (d.rising_words || []).map(function (w) { return [w.rank, w.word, w.count, w.previous_count, w.ratio]; }));
      var ot = d.over_time || [];
      if (ot.length) chart("cp-time", bar(ot.map(function (x) { return x.period; }), [{name: T.complaints, type: "line", data: ot.map(function (x) { return x.complaints; }), itemStyle: {color: "#c62828"}}],
        {title: {text: T.time, textStyle: {fontSize: 13}}, legend: {show: false}})); else empty("cp-time", T.noData);
      table("cp-hotspots", [T.hotspot + " " + esc(d.hotspot_period || ""), T.industry, T.complaints, T.size, T.rate, "z"], (d.hotspots || []).map(function (h) { return [h.district_name, h.industry_name, h.complaints, h.entities, h.rate, h.z]; }));
      return words.length > 0 || ot.length > 0;
    },
    clusters: function (d) {
      var al = d.alerts;
      if (!al) { $("clusters-list").innerHTML = '<p class="missing">' + T.noData + "</p>"; return false; }
      if (!al.length) { $("clusters-list").innerHTML = "<p>" + T.none + "</p>"; return true; }
      $("clusters-list").innerHTML = al.map(function (a) {
        var m = (a.members || []).map(function (x) { return "<tr><td>" + esc(x.uscc) + "</td><td>" + esc(x.entity_name) + "</td><td>" + esc(x.establishment_date) + "</td><td>" + esc(x.industry_code) + "</td></tr>"; }).join("");
        return '<div class="cluster"><b>' + T.score + " " + num(a.score, 2) + "</b> · " + T.size + " " + esc(a.size) + " · " + esc(a.first_date) + " – " + esc(a.last_date) +
          " · " + esc(a.district_name) + " " + esc(a.town_name) + "<br>" + esc((a.reasons || []).join("；")) + "<table><thead><tr><th>" + T.uscc + "</th><th>" + T.name + "</th><th>" + T.first + "</th><th>" + T.industry + "</th></tr></thead><tbody>" + m + "</tbody></table></div>";
      }).join("");
      return true;
    },
    governance: function (d) {
      if (!d.catalogs) { $("gv-departments").innerHTML = ""; return false; }
      $("gv-summary").innerHTML = T.asOf + " " + esc(d.as_of) + " · " + T.catalogs + " " + num(d.catalogs.length) + ' · <span class="late">' + T.lateCatalogs + " " + num(d.late_catalogs) + "</span> · " + T.filtersApplied + ": " + (LANG === "en" ? esc(d.filters_applied) : "期间（报送日期）；部门和数据目录不按区、行业拆分");
      table("gv-departments", [T.department, T.catalogs, T.delivered, T.rejected, T.passRate, T.late], d.departments.map(function (x) { return [x.department_name, x.catalogs, x.delivered, x.rejected, {html: pct(x.pass_rate), cls: "num"}, x.late]; }));
      var rows = d.catalogs.slice().sort(function (a, b) { return (b.late - a.late) || ((a.pass_rate == null ? 2 : a.pass_rate) - (b.pass_rate == null ? 2 : b.pass_rate)); });
      table("gv-catalogs", [T.catalog, T.name, T.department, T.frequency, T.delivered, T.rejected, T.passRate, T.lastDelivery, T.daysSince, T.late], rows.map(function (c) {
        return [c.catalog, LANG === "en" ? c.catalog_name_en : c.catalog_name, c.department, c.frequency, c.delivered, c.rejected == null ? "–" : c.rejected, {html: pct(c.pass_rate), cls: "num"}, c.last_delivery, c.days_since, {html: c.late ? '<span class="late">' + T.late + "</span>" : "", cls: ""}]; }));
      return true;
    }
  };

  function load(name) {
    var el = $("panel-" + name);
    el.setAttribute("data-state", "loading");
    var q = query().toString();
    return get("/dashboard/api/panels/" + name + (q ? "?" + q : "")).then(function (d) {
      sources(name, d.sources);
      var ok = DRAW[name](d);
      el.setAttribute("data-state", ok ? "ready" : "empty");
      el.setAttribute("data-generation", d.generation);
    }).catch(function (e) { el.setAttribute("data-state", "error"); console.warn(String(e)); });
  }
  function loadAll() {
    var t0 = performance.now();
    return Promise.all(Object.keys(DRAW).map(load)).then(function () {
      document.body.setAttribute("data-rendered-ms", Math.round(performance.now() - t0));
      document.body.setAttribute("data-ready", "1");
    });
  }
  function meta() {
    return get("/dashboard/api/meta").then(function (m) {
      generation = m.generation;
      $("generation").textContent = T.generation + " " + m.generation;
      if (!m.data_docs) $("gv-datadocs").classList.add("missing");
      return m;
    });
  }
  function init() {
    var params = new URLSearchParams(window.location.search);
    meta().then(function (m) {
      var dSel = $("f-district"), iSel = $("f-industry");
      dSel.options[0].textContent = T.all; iSel.options[0].textContent = T.all;
      m.districts.forEach(function (x) { var o = document.createElement("option"); o.value = x.code; o.textContent = x.name + " " + x.code; dSel.appendChild(o); });
      m.industries.forEach(function (x) { var o = document.createElement("option"); o.value = x.code; o.textContent = x.code + " " + x.name; iSel.appendChild(o); });
      [["from", "f-from"], ["to", "f-to"], ["district", "f-district"], ["industry", "f-industry"]].forEach(function (x) { if (params.get(x[0])) $(x[1]).value = params.get(x[0]); });
      return loadAll();
    });
    $("filters").addEventListener("submit", function (ev) {
      ev.preventDefault();
      document.body.removeAttribute("data-ready");
      var p = query(); p.set("lang", LANG);
      history.replaceState(null, "", "?" + p.toString());
      loadAll();
    });
    $("f-reset").addEventListener("click", function () { ["f-from", "f-to", "f-district", "f-industry"].forEach(function (id) { $(id).value = ""; }); $("filters").requestSubmit(); });
    ["lang-zh", "lang-en"].forEach(function (id) { $(id).addEventListener("click", function (ev) { ev.preventDefault(); var p = query(); p.set("lang", id.slice(5)); window.location.search = p.toString(); }); });
    window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
    setInterval(function () { get("/dashboard/api/meta").then(function (m) { if (m.generation !== generation) { generation = m.generation; $("generation").textContent = T.generation + " " + m.generation; loadAll(); } }).catch(function () {}); }, 30000);
  }
  init();
})();
