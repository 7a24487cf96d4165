"""The page's CSS (passed to ``launch(css=...)``, where Gradio 6 takes it).

Colours come from Gradio's theme variables so light and dark mode both work.
"""

CSS = """
.nd-header h1 { margin: 0 0 .1rem 0; font-size: 1.5rem; }
.nd-header p { margin: 0; color: var(--body-text-color-subdued); }

/* messages */
.nd-q { white-space: pre-wrap; }
.nd-text { white-space: pre-wrap; line-height: 1.55; }
.nd-status { color: var(--body-text-color-subdued); font-style: italic; display: flex; align-items: center; gap: .5rem; }
.nd-spinner { width: .8rem; height: .8rem; border-radius: 50%; flex: none;
  border: 2px solid var(--border-color-primary); border-top-color: var(--color-accent);
  animation: nd-spin .8s linear infinite; }
@keyframes nd-spin { to { transform: rotate(360deg); } }
.nd-caret { display: inline-block; width: .45em; height: 1em; margin-left: 1px; vertical-align: text-bottom;
  background: var(--body-text-color-subdued); animation: nd-blink 1s steps(1) infinite; }
@keyframes nd-blink { 50% { opacity: 0; } }
.nd-error { border-left: 3px solid var(--error-border-color, #d33); padding: .35rem .6rem;
  background: var(--error-background-fill, rgba(221, 51, 51, .08)); border-radius: 4px; white-space: pre-wrap; }
.nd-warn { margin-top: .5rem; font-size: .85em; color: var(--body-text-color-subdued); }
.nd-abstain-h { font-weight: 600; margin-bottom: .25rem; }
.nd-timing { margin-top: .5rem; font-size: .75em; color: var(--body-text-color-subdued); }

/* [n] markers: a focusable chip whose pop-up shows on hover, keyboard focus or click */
.nd-text { position: relative; }
.nd-cite { display: inline-block; margin: 0 0 0 1px; padding: 0 .3em; border-radius: .35em; cursor: pointer;
  font-size: .8em; font-weight: 600; line-height: 1.35; vertical-align: .15em;
  color: var(--color-accent); background: var(--color-accent-soft); outline: none; white-space: nowrap;
  box-shadow: inset 0 0 0 1px color-mix(in srgb, var(--color-accent) 45%, transparent); }
.nd-cite:hover, .nd-cite:focus, .nd-cite:focus-within { background: var(--color-accent); color: white; }
.nd-pop { display: none; position: absolute; left: 0; right: 0; z-index: 20; margin-top: .4rem;
  max-width: 36rem; padding: .7rem .8rem; border-radius: 8px; cursor: auto; text-align: left;
  font-size: .9rem; font-weight: 400; line-height: 1.45; white-space: normal;
  color: var(--body-text-color); background: var(--background-fill-primary);
  border: 1px solid var(--border-color-primary); box-shadow: 0 6px 24px rgba(0, 0, 0, .18); }
.nd-cite:hover > .nd-pop, .nd-cite:focus > .nd-pop, .nd-cite:focus-within > .nd-pop { display: block; }
.nd-pop > span, .nd-pop > a { display: block; }
.nd-pop-n { font-size: .75em; text-transform: uppercase; letter-spacing: .04em; color: var(--body-text-color-subdued); }
.nd-pop-title { font-weight: 600; }
.nd-pop-meta { font-size: .85em; color: var(--body-text-color-subdued); margin-bottom: .35rem; }
.nd-pop-passage { max-height: 14rem; overflow-y: auto; }
.nd-pop-link { margin-top: .35rem; font-size: .85em; }
mark.nd-quote { background: #ffe58a; color: #1f1f1f; padding: 0 .1em; border-radius: 2px; }

/* footnotes under an answer */
.nd-footnotes { margin-top: .6rem; padding-top: .4rem; border-top: 1px solid var(--border-color-primary); font-size: .88em; }
.nd-footnotes-h { font-weight: 600; font-size: .8em; text-transform: uppercase; letter-spacing: .04em;
  color: var(--body-text-color-subdued); margin-bottom: .2rem; }
.nd-fn summary { cursor: pointer; }
.nd-fn-n { font-weight: 600; color: var(--color-accent); }
.nd-fn-meta, .nd-src-meta { color: var(--body-text-color-subdued); font-size: .9em; margin-left: .4em; }
.nd-fn blockquote, .nd-src-quote { margin: .3rem 0 .3rem .2rem; padding-left: .6rem;
  border-left: 3px solid var(--border-color-primary); white-space: normal; }
.nd-fn a { font-size: .85em; word-break: break-all; }

/* side panels */
.nd-panel-h { font-weight: 600; margin-bottom: .3rem; }
.nd-panel-empty { color: var(--body-text-color-subdued); font-size: .9em; }
.nd-reading { opacity: .7; }
.nd-src-list { list-style: none; padding: 0; margin: 0; }
.nd-src-list li { padding: .35rem 0; border-bottom: 1px solid var(--border-color-primary); }
.nd-src-list li:last-child { border-bottom: none; }
.nd-src-n { font-weight: 600; color: var(--color-accent); margin-right: .15em; }
.nd-src-title { font-weight: 500; }
.nd-src-meta { display: block; margin-left: 0; }
.nd-src-quote { font-size: .88em; }
.nd-index { width: 100%; font-size: .9em; border-collapse: collapse; border: none !important; margin: 0 !important; }
.nd-index tr { border: none !important; background: none !important; }
.nd-index th, .nd-index td { border: none !important; background: none !important; padding: .15rem .6rem .15rem 0 !important;
  text-align: left; vertical-align: top; }
.nd-index th { font-weight: 500; color: var(--body-text-color-subdued); width: 6rem; }
.nd-index td { word-break: break-word; }
#nd-ask-row button { white-space: nowrap; }
#nd-examples { gap: .4rem; flex-wrap: wrap; }
#nd-examples button { flex: 0 1 auto; min-width: 0; font-weight: 400; text-align: left; }
.nd-hint { font-size: .85em; color: var(--body-text-color-subdued); }

/* links that open the whole article in the page (webui.reader); their listener's component is hidden */
#nd-open-links { display: none !important; }
a.nd-open { color: inherit; text-decoration: underline; text-decoration-color: var(--color-accent);
  text-underline-offset: .15em; cursor: pointer; }
a.nd-open:hover { color: var(--color-accent); }
a.nd-quote-link { color: inherit; text-decoration: none; }
a.nd-quote-link:hover { text-decoration: underline; text-decoration-color: var(--color-accent); }
a.nd-original { text-decoration: none; font-size: .9em; margin-left: .15em; }

/* search results */
.nd-result-list { list-style: none; padding: 0; margin: 0; }
.nd-result { padding: .55rem 0; border-bottom: 1px solid var(--border-color-primary); }
.nd-result:last-child { border-bottom: none; }
.nd-result-title { font-weight: 600; font-size: 1.02em; }
.nd-result-meta { color: var(--body-text-color-subdued); font-size: .85em; margin: .1rem 0 .2rem; }
.nd-result-passage { margin: 0; line-height: 1.5; }
mark.nd-term { background: #ffe58a; color: #1f1f1f; padding: 0 .05em; border-radius: 2px; }

/* the whole article */
.nd-article-title { margin: 0 0 .2rem; font-size: 1.3rem; }
.nd-article-meta { color: var(--body-text-color-subdued); font-size: .9em; margin-bottom: .3rem; }
.nd-article-text { white-space: pre-wrap; line-height: 1.6; margin-top: .6rem; max-width: 46rem; }
mark.nd-article-hit { background: #ffd54a; color: #1f1f1f; box-shadow: 0 0 0 2px #ffd54a; }
mark.nd-article-hit mark.nd-term { background: #ffb300; }
.nd-hint-bad { color: var(--error-text-color, #c22); }

/* the Feeds tab (webui/feeds.py) */
.nd-feeds { width: 100%; font-size: .85em; border-collapse: collapse; border: none !important;
  margin: 0 0 .4rem 0 !important; }
.nd-feeds thead, .nd-feeds tbody, .nd-feeds tr { border: none !important; background: none !important; }
.nd-feeds th, .nd-feeds td { padding: .25rem .5rem .25rem .1rem !important; text-align: left; vertical-align: top;
  border: none !important; border-bottom: 1px solid var(--border-color-primary) !important; background: none !important; }
.nd-feeds th { font-weight: 500; color: var(--body-text-color-subdued); }
.nd-feed-title { display: block; font-weight: 600; }
.nd-feed-url, .nd-feed-url a { display: block; margin: 0 !important; padding: 0 !important; word-break: break-all;
  font-size: .92em; }
.nd-feed-error { color: var(--error-text-color, #c22); word-break: break-word; }

/* coverage: the summary under the Index panel's chart */
.nd-coverage { font-size: .9em; }
.nd-cov-k { display: inline-block; width: 4rem; color: var(--body-text-color-subdued); }
.nd-cov-undated { margin-top: .2rem; font-weight: 500; }

/* the timeline under an answer: cited articles (filled, [n]) above the line, related (hollow) below */
.nd-tl { margin-top: .6rem; padding-top: .4rem; border-top: 1px solid var(--border-color-primary); font-size: .85em; }
.nd-tl-h { color: var(--body-text-color-subdued); }
.nd-tl-cited-k { font-weight: 600; color: var(--color-accent); }
.nd-tl-related-k { font-weight: 600; color: var(--body-text-color-subdued); }
.nd-tl-track { position: relative; height: 2.6rem; margin: .2rem .9rem 0 .9rem; }
.nd-tl-line { position: absolute; left: 0; right: 0; top: 50%; border-top: 2px solid var(--border-color-primary); }
.nd-tl-dot { position: absolute; transform: translateX(-50%); min-width: .75rem; height: .95rem; padding: 0 .2rem;
  border-radius: .5rem; font-size: .72rem; line-height: .95rem; text-align: center; box-sizing: border-box;
  cursor: default; outline: none; }
.nd-tl-cited { top: .1rem; background: var(--color-accent); color: white; font-weight: 600; z-index: 2; }
.nd-tl-related { bottom: .1rem; width: .75rem; border: 2px solid var(--body-text-color-subdued);
  background: var(--background-fill-primary); }
.nd-tl-dot:hover, .nd-tl-dot:focus { box-shadow: 0 0 0 2px var(--color-accent-soft); z-index: 3; }
.nd-tl-ends { display: flex; justify-content: space-between; color: var(--body-text-color-subdued); font-size: .9em; }
.nd-tl-one { margin: 0 auto; }
.nd-tl-list summary { cursor: pointer; color: var(--body-text-color-subdued); }
.nd-tl-list ul { list-style: none; padding: 0; margin: .2rem 0 0 0; }
.nd-tl-list li { padding: .1rem 0; }
.nd-tl-when { display: inline-block; min-width: 6.5rem; color: var(--body-text-color-subdued); }
.nd-tl-tag { font-size: .85em; margin-right: .3em; }
"""

# A dot's place on the timeline, in percent of its width (see render.timeline_strip).
CSS += "".join(f".nd-tl-x{i} {{ left: {i}%; }}" for i in range(101)) + "\n"

# the Briefing tab (webui/briefing.py)
CSS += """
#nd-story-links { display: none !important; }
.nd-stories { list-style: none; padding: 0; margin: 0; }
.nd-story { padding: .7rem 0; border-bottom: 1px solid var(--border-color-primary); }
.nd-story:last-child { border-bottom: none; }
.nd-story-h { font-weight: 600; font-size: 1.08em; }
.nd-story-rank { display: inline-block; min-width: 1.4rem; color: var(--body-text-color-subdued); }
.nd-story-meta { color: var(--body-text-color-subdued); font-size: .88em; margin: .15rem 0 .3rem 1.4rem; }
.nd-summary { margin: .2rem 0 .3rem 0 !important; padding-left: 1.4rem; text-indent: 0; }
.nd-summary-pending, .nd-summary-none { color: var(--body-text-color-subdued); font-style: italic; }
.nd-timeline-box { margin-left: 1.4rem; font-size: .92em; }
.nd-timeline-box summary { cursor: pointer; color: var(--body-text-color-subdued); }
.nd-story-timeline { list-style: none; padding: 0; margin: .2rem 0; }
.nd-story-timeline li { padding: .12rem 0; }
.nd-story-timeline time { display: inline-block; min-width: 6.5rem; color: var(--body-text-color-subdued); }
.nd-timeline-source { color: var(--body-text-color-subdued); font-size: .9em; }
.nd-story-ask { display: inline-block; margin: .2rem 0 0 1.4rem; font-size: .9em; }
"""

# saved searches, in the Search tab (webui/watchlist.py)
CSS += """
.nd-watch-list { list-style: none; padding: 0; margin: 0; }
.nd-watch { padding: .35rem .4rem; border-left: 3px solid transparent; }
.nd-watch-lit { border-left-color: var(--color-accent); background: var(--color-accent-soft); }
.nd-watch-query { font-weight: 600; }
.nd-watch-new { font-weight: 600; color: var(--color-accent); }
.nd-watch-none, .nd-watch-meta { color: var(--body-text-color-subdued); font-size: .9em; }
.nd-watch-id { font-size: .8em; }
.nd-watch-articles { margin: .2rem 0 0 1rem; padding: 0; }
"""
