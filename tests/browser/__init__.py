"""Browser tests: JupyterLab in headless Chromium, driven by Playwright (marker ``browser``)."""
