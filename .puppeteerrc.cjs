// whatsapp-web.js depends on puppeteer, whose postinstall downloads Chrome from a host this
// project's machines cannot reach. We run Debian's chromium instead (WHATSAPP_CHROMIUM_PATH).
module.exports = { skipDownload: true };
