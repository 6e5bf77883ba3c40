/* The fixed parts of vmov report's page (included by vmov-report.c only): its style, the
 * sections the data fills in, and the script that draws them with dygraphs from the data
 * object R (the same object vmov report --json prints). Event marks are drawn by dygraphs'
 * underlayCallback (a vertical line at the event's time on every plot); nothing is fetched. */
#ifndef VCAP_VMOV_REPORT_PAGE_H
#define VCAP_VMOV_REPORT_PAGE_H

static const char page_css[] =
    "body{font:14px/1.4 sans-serif;margin:1em 2em;color:#222;max-width:1400px}"
    "h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .3em}"
    "table.kv td{padding:1px 12px 1px 0;vertical-align:top}table.kv td:first-child{color:#666}"
    "table.ev{border-collapse:collapse}table.ev td,table.ev th{border:1px solid #ddd;"
    "padding:2px 8px;text-align:left}"
    ".plot{width:100%;height:220px;margin-bottom:8px}.none{color:#888;font-style:italic}"
    ".strip{display:flex;overflow-x:auto;gap:6px;padding:4px 0}"
    ".strip figure{margin:0;text-align:center;font-size:11px;color:#555}"
    ".key span{display:inline-block;margin-right:14px}.key i{display:inline-block;width:14px;"
    "height:3px;vertical-align:middle;margin-right:4px}"
    ".bad{color:#b00;font-weight:bold}.good{color:#070}";

static const char page_body[] =
    "<h1 id=\"title\">vmov report</h1>\n"
    "<table class=\"kv\" id=\"header\"></table>\n"
    "<h2>Events</h2><div id=\"summary\"></div><div class=\"key\" id=\"key\"></div>\n"
    "<h2>Thumbnails</h2>\n";

static const char page_after_thumbs[] =
    "<h2>Frames: interval between frames (ms)</h2><div class=\"plot\" id=\"p_frames\"></div>\n"
    "<h2>Disk: buffer fill at submit (%) per batch</h2><div class=\"plot\" id=\"p_fill\"></div>\n"
    "<h2>Disk: write latency (ms) per batch</h2><div class=\"plot\" id=\"p_lat\"></div>\n"
    "<h2>Sound: audio clock drift (ppm)</h2><div class=\"plot\" id=\"p_drift\"></div>\n"
    "<h2>Luma: YMIN, YLOW, YAVG, YHIGH, YMAX</h2><div class=\"plot\" id=\"p_luma\"></div>\n"
    "<h2>Saturation: SATMIN, SATAVG, SATMAX</h2><div class=\"plot\" id=\"p_sat\"></div>\n"
    "<h2>Out of range: BRNG (broadcast range), TOUT (temporal outliers), VREP (repeated "
    "lines), share of pixels</h2><div class=\"plot\" id=\"p_range\"></div>\n"
    "<h2>Differences: YDIF (frame to frame), MSEfY (field to field)</h2>"
    "<div class=\"plot\" id=\"p_diff\"></div>\n"
    "<h2>Event list</h2><div id=\"events\"></div>\n"
    "<p class=\"none\" id=\"foot\"></p>\n";

static const char page_js[] =
    "(function(){'use strict';\n"
    "const $=id=>document.getElementById(id),I=R.info,L=R.log,F=R.per_frame;\n"
    "const esc=s=>String(s).replace(/[&<>\"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','\"':'&quot;'}[c]));\n"
    "const COL={'drop':'#d62728','fill':'#ff7f0e','flagged':'#9467bd','tc-break':'#1f77b4',"
    "'xrun':'#8c564b','late':'#e377c2','md5-mismatch':'#000000'};\n"
    "$('title').textContent='vmov report: '+R.file;document.title='vmov report: '+R.file;\n"
    "const rate=I.rate_den?I.rate_num/I.rate_den:0;\n"
    /* ISO/IEC 23091-2 codes, as nclc carries them (TN2227) */
    "const PRI={1:'BT.709',2:'unspecified',5:'BT.601 625 (BT.470BG)',6:'BT.601 525 (SMPTE 170M)',9:'BT.2020'},"
    "TRC={1:'BT.709',2:'unspecified',6:'BT.601 (SMPTE 170M)',14:'BT.2020 10-bit',16:'PQ',18:'HLG'},"
    "MAT={0:'RGB',1:'BT.709',2:'unspecified',5:'BT.601 625',6:'BT.601 525',9:'BT.2020 NCL'};\n"
    "const code=(t,v)=>(t[v]||'code')+' ('+v+')';\n"
    "const rows=[['file',R.file],['format',I.format+' (\\''+I.tag+'\\', '+I.codec+'), '+I.width+'x'+I.height],"
    "['rate',I.rate_num+'/'+I.rate_den+' ('+rate.toFixed(3)+' fps)'],"
    "['field order (fiel)',I.field+' ('+I.fiel+')'],"
    "['colour (colr)','primaries '+code(PRI,I.primaries)+', transfer '+code(TRC,I.transfer)+', matrix '+code(MAT,I.matrix)],"
    "['aspect (pasp)',I.sar_den?I.sar_num+':'+I.sar_den+' pixels, display '+(I.width*I.sar_num/I.sar_den/I.height).toFixed(3)+':1':'none'],"
    "['timecode',I.timecode||'none'],"
    "['frames',I.frames+' ('+I.duration.toFixed(3)+' s)'],"
    "['sound',I.audio_tracks?I.audio_tracks+' track(s), '+I.audio_channels+' channel(s), '+I.audio_codec+' at '+I.audio_rate+' Hz':'none'],"
    "['capture log',L.present?L.path+(L.complete?(L.recovered?' (recovered)':' (complete)'):' (unfinished)')+', '+L.frames+' frames logged, '+L.synced+' durable':L.error+(L.path?' ('+L.path+')':'')+': no capture panels'],"
    "['md5',R.md5.source==='log'?(R.md5.mismatches?'<span class=bad>'+R.md5.mismatches+' of '+R.md5.checked+' frames differ from the log</span>':R.md5.checked?'<span class=good>'+R.md5.checked+' of '+R.md5.checked+' frames match the log</span>':'the log has md5s; the frames were not read (--no-stats)'):'no md5s in a log: not checked'],"
    "['sidecar',L.sidecar||'none'],['statistics',R.stats?'libavfilter: '+R.stats_filter:'not computed']];\n"
    "$('header').innerHTML=rows.map(r=>'<tr><td>'+esc(r[0])+'</td><td>'+(r[0]==='md5'?r[1]:esc(r[1]))+'</td></tr>').join('');\n"
    "const EF=R.event_frames,cnt=k=>EF[k]?EF[k].length:0;\n"
    "const lost=R.events.filter(e=>e.kind==='drop').reduce((a,e)=>a+e.count,0);\n"
    "$('summary').innerHTML=esc(cnt('drop')+' drops ('+lost+' frames lost), '+cnt('fill')+' fills, '+cnt('flagged')+' flagged frames, '+cnt('tc-break')+' timecode breaks, '+cnt('xrun')+' xruns, '+cnt('late')+' late sound, '+cnt('md5-mismatch')+' md5 mismatches');\n"
    "$('key').innerHTML=Object.keys(COL).map(k=>'<span><i style=\"background:'+COL[k]+'\"></i>'+k+'</span>').join('');\n"
    "function under(ctx,area,g){for(const e of R.events){const x=g.toDomXCoord(e.t);"
    "if(x<area.x||x>area.x+area.w)continue;ctx.fillStyle=COL[e.kind]||'#999';ctx.globalAlpha=.6;"
    "ctx.fillRect(Math.round(x)-1,area.y,2,area.h);}ctx.globalAlpha=1;}\n"
    "const G=[];\n"
    "function plot(id,t,labels,cols,extra){const d=$(id);if(!t.length||!cols.some(c=>c.some(v=>v!==null&&!isNaN(v)))){"
    "d.className='none';d.style.height='auto';d.textContent='no data for this file';return;}"
    "const data=t.map((x,i)=>[x].concat(cols.map(c=>c[i]===null?NaN:c[i])));"
    "G.push(new Dygraph(d,data,Object.assign({labels:['seconds'].concat(labels),xlabel:'seconds from the first frame',"
    "underlayCallback:under,legend:'always',labelsKMB:false,drawPoints:t.length<400,pointSize:1.5,"
    "strokeWidth:1},extra||{})));}\n"
    "const ms=(a,i)=>i?Math.round((a[i]-a[i-1])*1e6)/1e3:null;\n" /* to the µs: no float noise */
    "const iv=(F.timestamp||F.t).map((x,i,a)=>ms(a,i));\n"
    "plot('p_frames',F.t,[F.timestamp?'capture interval':'index interval'],[iv]);\n"
    "const B=R.batches;plot('p_fill',B.t,['fill %'],[B.held.map(h=>B.slots?100*h/B.slots:null)],{valueRange:[0,105]});\n"
    "plot('p_lat',B.t,['latency ms'],[B.latency_ms]);\n"
    "plot('p_drift',B.t,['drift ppm'],[B.drift_ppm]);\n"
    "const S=k=>F[k]||[];\n"
    "plot('p_luma',F.t,['YMIN','YLOW','YAVG','YHIGH','YMAX'],['YMIN','YLOW','YAVG','YHIGH','YMAX'].map(S));\n"
    "plot('p_sat',F.t,['SATMIN','SATAVG','SATMAX'],['SATMIN','SATAVG','SATMAX'].map(S));\n"
    "plot('p_range',F.t,['BRNG','TOUT','VREP'],['BRNG','TOUT','VREP'].map(S));\n"
    "plot('p_diff',F.t,['YDIF','MSEfY'],['YDIF','MSEfY'].map(S));\n"
    "if(Dygraph.synchronize&&G.length>1)Dygraph.synchronize(G,{zoom:true,selection:false,range:false});\n"
    "const ev=R.events.slice(0,1000);\n"
    "$('events').innerHTML=ev.length?'<table class=ev><tr><th>frame</th><th>seconds</th><th>timecode</th><th>what</th><th>detail</th></tr>'+"
    "ev.map(e=>'<tr><td>'+e.frame+'</td><td>'+e.t.toFixed(3)+'</td><td>'+esc(e.timecode)+'</td><td style=\"color:'+COL[e.kind]+'\">'+e.kind+'</td><td>'+"
    "(e.kind==='drop'?e.count+' frame(s), '+e.fields+' field(s) lost before it (sequence '+e.sequence+')'+(e.starved?', buffers full: the disk was too slow':''):"
    "e.samples!==undefined?e.samples+' samples of silence':'')+'</td></tr>').join('')+'</table>'"
    "+(R.events.length>ev.length?'<p>'+(R.events.length-ev.length)+' more in --json</p>':''):'<p class=none>none</p>';\n"
    "$('foot').textContent='Made by vmov report. Drag on a plot to zoom (every plot follows), double-click to zoom out.';\n"
    "})();\n";

#endif
