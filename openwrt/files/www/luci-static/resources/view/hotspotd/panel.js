'use strict';
'require view';
'require rpc';

// Services > Hotspot: hotspotd serves its admin panel itself, at /admin/ on its API port of the
// LAN/MGMT addresses. This page links there, at the address the browser reached LuCI by (the
// router's LAN address), and opens it in a tab of its own: the panel refuses to be framed.

var callApiSettings = rpc.declare({
	object: 'hotspot',
	method: 'get_api_settings',
	expect: { data: {} }
});

/** The panel's address on `host` (location.hostname: IPv6 comes in brackets) and `port`. */
function panelUrl(host, port) {
	return 'http://' + host + ':' + port + '/admin/';
}

return view.extend({
	load: function() {
		return callApiSettings().catch(function() { return null; });
	},

	render: function(settings) {
		var running = settings != null && settings.port != null;
		var url = panelUrl(window.location.hostname, running ? settings.port : 8080);
		return E('div', { 'class': 'cbi-map' }, [
			E('h2', {}, _('Hotspot')),
			E('div', { 'class': 'cbi-map-descr' }, _('Vouchers, guests, users and the API settings are managed in hotspotd\'s own panel. Sign in there with your router login.')),
			running ? '' : E('p', { 'class': 'alert-message warning' }, _('hotspotd does not answer on ubus; is it running? (/etc/init.d/hotspotd start)')),
			E('p', {}, [
				E('a', { 'class': 'btn cbi-button cbi-button-action', 'href': url, 'target': '_blank', 'rel': 'noopener noreferrer' }, _('Open the hotspot panel'))
			]),
			E('p', {}, E('code', {}, url))
		]);
	},

	handleSave: null,
	handleSaveApply: null,
	handleReset: null
});
