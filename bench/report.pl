#!/usr/bin/perl
# report.pl - turn bench/run.sh's RES/META lines into the results table.
#
#   report.pl RESULTS.txt > results.md
#   report.pl --readme README.md results.md   (replace the table between
#                                               the markers in README.md)
use strict;
use warnings;

if (@ARGV == 3 && $ARGV[0] eq '--readme') {
	my ($readme, $md) = @ARGV[1, 2];
	local $/;
	open(my $r, '<', $readme) or die "$readme: $!\n";
	my $text = <$r>;
	close($r);
	open(my $m, '<', $md) or die "$md: $!\n";
	my $table = <$m>;
	close($m);
	$text =~ s/(<!-- results start -->\n).*(<!-- results end -->)/$1$table$2/s
		or die "$readme: no results markers\n";
	open(my $w, '>', "$readme.tmp") or die "$readme.tmp: $!\n";
	print $w $text;
	close($w) or die "$readme.tmp: $!\n";
	rename("$readme.tmp", $readme) or die "$readme: $!\n";
	exit 0;
}

my (%r, @meta, %m);
while (<>) {
	chomp;
	if (/^RES (\S+) (.*)/) {
		my ($l, %kv) = ($1, map { split /=/, $_, 2 } split ' ', $2);
		$r{$l} = \%kv;
	} elsif (/^META (.*)/) {
		push @meta, $1;
		my ($k, @rest) = split ' ', $1;
		for (@rest) {
			$m{$k}{$1} = $2 if /^([^=]+)=(.*)$/;
		}
		$m{$k}{_} = join(' ', @rest);
	}
}

sub ms { defined $_[0] ? sprintf('%.1f', $_[0] / 1000) : '-' }
sub us { defined $_[0] ? sprintf('%.1f', $_[0]) : '-' }
sub have { exists $r{$_[0]} }
sub wall { have($_[0]) ? $r{$_[0]}{wall_med} : undef }
sub cpu { have($_[0]) ? $r{$_[0]}{cpu_med} : undef }
sub span {
	my ($l, $f) = @_;
	return '-' unless have($l);
	my $x = $r{$l};
	return sprintf('%s (%s–%s)', $f->($x->{wall_med}), $f->($x->{wall_min}),
		       $f->($x->{wall_max}));
}
sub ratio {
	my ($a, $b) = @_;
	return undef unless defined $a && defined $b && $b > 0;
	return $a / $b;
}
sub rx { defined $_[0] ? sprintf('%.2f×', $_[0]) : '-' }
sub cspan {
	my ($l, $f) = @_;
	return '-' unless have($l);
	my $x = $r{$l};
	return sprintf('%s (%s–%s)', $f->($x->{cpu_med}), $f->($x->{cpu_min}),
		       $f->($x->{cpu_max}));
}

print "Measured $m{date}{_} on $m{machine}{_}" if $m{date};
print " (mode $m{mode}{_})" if $m{mode} && $m{mode}{_} ne 'full';
print ".\n";
for (grep { /^tools / } @meta) {
	s/^tools //;
	print "Tools: $_.\n";
}
print "Times are medians of n runs with (min–max); ratios compare medians.\n\n";

# ---- scan ----
my @sizes = sort { $a <=> $b } map { /^scan\/(\d+)\/cat$/ ? $1 : () } keys %r;
my @scan = (
	[ 'cat', '`cat /proc/net/nf_conntrack > /dev/null` (floor)' ],
	[ 'nl-floor', 'netlink floor: libmnl dump, 32 KiB reads, nothing parsed (`ctfill -D`)' ],
	[ 'conntrack-L', '`conntrack -L > /dev/null`' ],
	[ 'perl', 'naive Perl split-every-line (bench/naive.pl)' ],
	[ 'awk', 'naive awk (bench/naive.awk)' ],
	[ 'procfs-proc', 'tcpquota procfs path, whole process' ],
	[ 'netlink-proc', 'tcpquota netlink path, whole process' ],
	[ 'procfs-inproc', 'tcpquota procfs path, in a running process' ],
	[ 'netlink-inproc', 'tcpquota netlink path, in a running process' ],
	[ 'auto-inproc', "the daemon's per-poll call (procscan_conntrack)" ],
	[ 'stdio4k-inproc', 'scan_conntrack, 4 KiB stdio buffer' ],
	[ 'stdio1m-inproc', 'scan_conntrack, 1 MiB stdio buffer' ],
);
for my $n (@sizes) {
	my $cat = wall("scan/$n/cat");
	my $ccat = cpu("scan/$n/cat");
	my $hosts = $m{"scan/$n"}{hosts} // '?';
	my $mb = $m{"scan/$n"}{bytes} ? sprintf('%.0f MB', $m{"scan/$n"}{bytes} / 1e6) : '?';
	print "### Scan, $n entries ($hosts dual-stack LAN hosts, $mb of procfs text)\n\n";
	print "| method | n | wall ms med (min–max) | CPU ms med (min–max) | CPU µs/entry | × cat (wall) | × cat (CPU) |\n";
	print "|---|---|---|---|---|---|---|\n";
	for my $s (@scan) {
		my $l = "scan/$n/$s->[0]";
		next unless have($l);
		printf "| %s | %d | %s | %s | %.2f | %s | %s |\n", $s->[1],
		       $r{$l}{n}, span($l, \&ms), cspan($l, \&ms), cpu($l) / $n,
		       rx(ratio(wall($l), $cat)), rx(ratio(cpu($l), $ccat));
		if (defined $r{$l}{records} && $r{$l}{records} ne '0' &&
		    $r{$l}{records} != $n) {
			print "| ^ saw $r{$l}{records} of $n entries | | | | | | |\n";
		}
	}
	print "\n";
}

for my $l (sort grep { /^events\/\d+$/ } keys %r) {
	my $x = $r{$l};
	printf "Conntrack events: a libmnl listener spent %s ms CPU on %d NEW + "
	     . "DESTROY events, %.2f µs per event (`ctfill -E`).\n\n",
	     ms($x->{cpu_med}), $x->{events}, $x->{cpu_med} / $x->{events};
}

# ---- firewall ----
my @fsz = sort { $a <=> $b } map { /^nftb_create\/(\d+)$/ ? $1 : () } keys %r;
if (@fsz) {
	print "### Firewall updates (hosts in the set)\n\n";
	print "| operation | ", join(' | ', @fsz), " |\n";
	print "|---|", join('', map { '---|' } @fsz), "\n";
	my @rows = (
		[ 'nftb_open one host, µs (in-process)', 'nftb_open/%d', \&us ],
		[ 'nftb_close one host, µs (in-process)', 'nftb_close/%d', \&us ],
		[ 'nftb_create: whole table in one batch, ms', 'nftb_create/%d', \&ms ],
		[ 'nftb_list: sets with counters, ms', 'nftb_list/%d', \&ms ],
		[ '`nft -f` of the same table, ms (process)', 'nft/%d/nft-f', \&ms ],
		[ '`nft add element` one host, ms (process)', 'nft/%d/nft-add-element', \&ms ],
		[ '`nft delete element` one host, ms (process)', 'nft/%d/nft-delete-element', \&ms ],
	);
	for my $row (@rows) {
		print "| $row->[0] | ",
		      join(' | ', map { span(sprintf($row->[1], $_), $row->[2]) } @fsz),
		      " |\n";
	}
	print "| nftb_open CPU µs (user+sys, kernel work included) | ",
	      join(' | ', map { cspan("nftb_open/$_", \&us) } @fsz), " |\n";
	print "| nftb_close CPU µs (user+sys, kernel work included) | ",
	      join(' | ', map { cspan("nftb_close/$_", \&us) } @fsz), " |\n";
	my $nel = "nft/10000/nft-add-element";
	if (have($nel)) {
		printf "\nOne `nft add element` process per host, extrapolated (not "
		     . "measured as one run): 10,000 hosts ≈ %.1f s, against %s ms "
		     . "for nftb_create of 10,000.\n", wall($nel) * 10000 / 1e6,
		     ms(wall('nftb_create/10000'));
	}
	print "\n";
}
my @rsz = sort { $a <=> $b } map { /^rule\/(\d+)\/nft-f$/ ? $1 : () } keys %r;
if (@rsz) {
	print "### Rule per host (the design not taken)\n\n";
	print "| | ", join(' | ', map { "$_ rules" } @rsz), " |\n";
	print "|---|", join('', map { '---|' } @rsz), "\n";
	print "| `nft -f` load, ms | ", join(' | ', map { span("rule/$_/nft-f", \&ms) } @rsz), " |\n";
	print "| `nft add rule` one more, ms (process) | ", join(' | ', map { span("rule/$_/nft-add-rule", \&ms) } @rsz), " |\n";
	if (have('pkt/none')) {
		print "| packet cost, ns/packet: one rule per host | ", join(' | ', map { span("pkt/$_/rules", \&us) } @rsz), " |\n";
		print "| packet cost, ns/packet: set lookup | ", join(' | ', map { span("pkt/$_/set", \&us) } @rsz), " |\n";
		printf "\nPacket cost is the wall time per UDP datagram sent over "
		     . "loopback through an output chain that does not match (%s "
		     . "ns/packet with no table at all).\n", us(wall('pkt/none'));
	}
	print "\n";
}

# ---- poll, latency, RSS ----
my @poll = sort grep { /^(poll|lat|idle)\// } keys %r;
if (@poll) {
	print "### The daemon\n\n";
	print "| measurement | n | wall med (min–max) | CPU med | p99 | notes |\n";
	print "|---|---|---|---|---|---|\n";
	for my $l (@poll) {
		my $x = $r{$l};
		my $notes = join(' ', map { "$_=$x->{$_}" } grep {
			!/^(n|wall_|cpu_)/ } sort keys %$x);
		printf "| %s | %d | %s ms | %s ms | %s ms | %s |\n", $l, $x->{n},
		       span($l, \&ms), ms($x->{cpu_med}), ms($x->{wall_p99}), $notes;
	}
	print "\n";
}
for (grep { /^poll / } @meta) {
	s/^poll //;
	print "Daemon: $_\n\n";
}

# ---- the portal ----
sub p99 { have($_[0]) ? $r{$_[0]}{wall_p99} : undef }
sub prow {
	my ($what, $l, $base, $bl) = @_;
	return unless have($l);
	my $x = $r{$l};
	my $b = have($bl) ? sprintf('%s: %s / %s ms', $base, ms(wall($bl)),
				    ms(p99($bl))) : "$base: -";
	printf "| %s | %d | %s | %s | %s | %s / %s |\n", $what, $x->{n},
	       span($l, \&ms), ms($x->{wall_p99}), $b,
	       rx(ratio(wall($l), wall($bl))), rx(ratio(p99($l), p99($bl)));
}
my $pm = $m{portal} // {};
if (grep { /^portal\// } keys %r) {
	my $per = $pm->{period} // '?';
	print "### The portal (tcpquota-portal; tcpquotad period $per s)\n\n";
	print "| measurement | n | wall ms med (min–max) | p99 ms | baseline "
	    . "(med / p99) | × baseline (med / p99) |\n|---|---|---|---|---|---|\n";
	my $lat = 'the daemon alone (latbench)';
	prow('open click (POST /open) → first packet through the gateway',
	     'portal/open', "$lat, row written → first packet",
	     'portal/lat/open');
	prow('open click → the portal\'s 303 (after the daemon\'s ack)',
	     'portal/open-page', "$lat, row written → ack",
	     'portal/lat/open-ack');
	prow('close click (POST /close) → connects stop getting through',
	     'portal/close', "$lat, row written → closed", 'portal/lat/close');
	prow('close click → the portal\'s 303', 'portal/close-page',
	     "$lat, row written → ack", 'portal/lat/close-ack');
	my $meth = have('portal/hash') ? $r{'portal/hash'}{method} : '?';
	prow('login (POST /login → 303: PAM, pam_unix, the hash)',
	     'portal/login', "the hash alone ($meth, crypt_r in-process)",
	     'portal/hash');
	print "\n";
	my @w = grep { have("portal/rps/$_->[0]") } (
		[ 'asset', '`/portal.css` (static: the HTTP server\'s floor)' ],
		[ 'status', '`/` the status page (logged in, device open)' ],
		[ 'captive', '`/api/captive` (device open)' ]);
	if (@w) {
		my $a = have('portal/rps/asset') ?
			$r{'portal/rps/asset'}{rps_med} : undef;
		print "| wrk from the LAN host | clients | runs × s | req/s med "
		    . "(min–max) | latency p50 / p99 ms | errors | × asset |\n"
		    . "|---|---|---|---|---|---|---|\n";
		for (@w) {
			my $x = $r{"portal/rps/$_->[0]"};
			printf "| %s | %d | %d × %d | %s (%s–%s) | %s / %s | %d "
			    . "socket, %d non-2xx/3xx | %s |\n", $_->[1],
			    $x->{clients}, $x->{n}, $x->{seconds}, $x->{rps_med},
			    $x->{rps_min}, $x->{rps_max}, ms($x->{wall_med}),
			    ms($x->{wall_p99}), $x->{socket_errors},
			    $x->{non2xx3xx}, rx(ratio($x->{rps_med}, $a));
		}
		print "\n";
	}
	if (defined $pm->{vmhwm_kib}) {
		printf "After the load: tcpquota-portal VmHWM %.1f MiB, VmRSS "
		     . "%.1f MiB (RssAnon %.1f, RssFile %.1f), %s threads; "
		     . "idle after start VmRSS %.1f MiB (RssAnon %.1f, RssFile "
		     . "%.1f); its PAM helper VmHWM %.1f MiB; tcpquotad in the "
		     . "same lab VmHWM %.1f MiB (× tcpquotad: %s).\n\n",
		     map({ ($pm->{$_} // 0) / 1024 } qw(vmhwm_kib vmrss_kib
			 anon_kib file_kib)), $pm->{threads} // '?',
		     map({ ($pm->{$_} // 0) / 1024 } qw(idle_vmrss_kib
			 idle_anon_kib idle_file_kib helper_vmhwm_kib
			 tcpquotad_vmhwm_kib)),
		     rx(ratio($pm->{vmhwm_kib}, $pm->{tcpquotad_vmhwm_kib}));
	}
}

# ---- goals ----
my @g;
sub goal {
	my ($what, $ok, $measured) = @_;
	my $v = !defined $ok ? 'not measured' : $ok ? '**met**' : '**not met**';
	push @g, "| $what | $v | $measured |";
}
my $N = 500000;
# Scan verdicts on CPU medians: a reader that never sleeps costs its CPU
# time; wall time on a shared machine adds other tenants' load.
my $cat = cpu("scan/$N/cat");
my $wcat = wall("scan/$N/cat");
my $pp = ratio(cpu("scan/$N/procfs-proc"), $cat);
my $pi = ratio(cpu("scan/$N/procfs-inproc"), $cat);
my $np = ratio(cpu("scan/$N/netlink-proc"), $cat);
my $ni = ratio(cpu("scan/$N/netlink-inproc"), $cat);
my $pw = ratio(wall("scan/$N/procfs-proc"), $wcat);
my $nw = ratio(wall("scan/$N/netlink-proc"), $wcat);
goal('500k scan, procfs path ≤ 1.1× cat (CPU)', defined $pp ? $pp <= 1.1 : undef,
     sprintf('%s whole process, %s in-process (wall: %s)', rx($pp), rx($pi),
	     rx($pw)));
goal('500k scan, netlink path ≤ 0.75× cat (CPU)', defined $np ? $np <= 0.75 : undef,
     sprintf('%s whole process, %s in-process (wall: %s); netlink floor %s',
	     rx($np), rx($ni), rx($nw), rx(ratio(cpu("scan/$N/nl-floor"), $cat))));
my $perl = cpu("scan/$N/perl");
my $sp1 = ratio($perl, cpu("scan/$N/procfs-proc"));
my $sp2 = ratio($perl, cpu("scan/$N/netlink-proc"));
goal('both ≥ 2× faster than naive Perl', defined $sp1 && defined $sp2 ?
     ($sp1 >= 2 && $sp2 >= 2) : undef,
     sprintf('Perl / procfs = %s, Perl / netlink = %s', rx($sp1), rx($sp2)));
my $pc = cpu("poll/$N/cpu") // undef;
my $pf = cpu("poll/$N/cpu-fullread");
if (defined $pc) {
	goal('poll at 500k entries, 1000 open hosts ≤ 20 ms CPU', $pc <= 20000,
	     sprintf('%s ms CPU per poll (set counters + conntrack events); '
		     . 'reading the whole table every poll: %s ms, %s',
		     ms($pc), ms($pf), rx(ratio($pc, $pf))));
} else {
	my $a = cpu("scan/$N/auto-inproc");
	goal('poll at 500k entries, 1000 open hosts ≤ 20 ms CPU',
	     defined $a ? $a <= 20000 : undef,
	     defined $a ? sprintf('the conntrack part alone (procscan_conntrack, '
			   . 'a full dump every poll) costs %s ms CPU; nftb_list '
			   . 'of 1000 counters %s ms', ms($a),
			   ms(cpu('nftb_list/1000'))) : '-');
}
# Judged on CPU (the netlink work, kernel side included: it runs in the
# sendmsg/recvmsg of the call); wall medians shown beside.
my @os = map { cpu("nftb_open/$_"), cpu("nftb_close/$_") } @fsz;
my @ow = map { wall("nftb_open/$_"), wall("nftb_close/$_") } @fsz;
my $omax = (sort { $b <=> $a } grep { defined } @os)[0];
my $wmax = (sort { $b <=> $a } grep { defined } @ow)[0];
goal('open/close ≤ 50 µs, any set size to 100k (CPU)', defined $omax &&
     @fsz ? $omax <= 50 : undef, defined $omax ? sprintf('worst CPU median '
     . '%s µs (open %s → %s µs, close %s → %s µs, %s → %s hosts); worst wall '
     . 'median %s µs', us($omax), us(cpu("nftb_open/$fsz[0]")),
     us(cpu("nftb_open/$fsz[-1]")), us(cpu("nftb_close/$fsz[0]")),
     us(cpu("nftb_close/$fsz[-1]")), $fsz[0], $fsz[-1], us($wmax)) : '-');
my $rec = wall('nftb_create/10000');
goal('reconcile 10,000 hosts ≤ 30 ms', defined $rec ? $rec <= 30000 : undef,
     sprintf('%s ms (nftb_create of 10,000)', ms($rec)));
my $lat = have('lat/open') ? $r{'lat/open'}{wall_p99} : undef;
goal('open latency p99 ≤ 250 ms (period 5 s)', defined $lat ? $lat <= 250000 :
     undef, defined $lat ? sprintf('p99 %s ms, p50 %s ms; close p99 %s ms',
     ms($lat), ms(wall('lat/open')), ms(have('lat/close') ?
     $r{'lat/close'}{wall_p99} : undef)) : '-');
my $idle = have('idle/cpu') ? $r{'idle/cpu'}{cpu_med} : undef;
goal('no measurable load when idle', defined $idle ? $idle < 0.01 * 30e6 :
     undef, defined $idle ? sprintf('%s ms CPU in 30 s idle', ms($idle)) : '-');
my $rt = have('poll/1000/wall') ? $r{'poll/1000/wall'}{roundtrips} : undef;
my $rt1 = have('poll/1000/wall-100online') ?
	$r{'poll/1000/wall-100online'}{roundtrips} : undef;
my $pwall = wall('poll/1000/wall');
goal('constant DB round trips per poll', defined $rt && defined $rt1 ?
     $rt == $rt1 : undef, defined $rt ? sprintf('%s commands per poll with '
     . '1000 users online, %s with 100 online (server-counted)', $rt,
     $rt1 // '-') : '-');
goal('poll wall ≤ 50 ms at 1000 users / 1000 hosts', defined $pwall ?
     $pwall <= 50000 : undef, defined $pwall ? sprintf('%s ms', ms($pwall)) : '-');
my $rss = $m{poll}{vmhwm_kib};
my $proxy = $m{"scan/$N"}{rss_netlink_kib};
goal('peak RSS ≤ 10 MiB at 500k entries', defined $rss ? $rss <= 10240 :
     defined $proxy ? $proxy <= 10240 : undef,
     defined $rss ? sprintf('daemon VmHWM %.1f MiB%s', $rss / 1024,
	(have("poll/$N/cpu") && defined $r{"poll/$N/cpu"}{anon_kib}) ?
	sprintf('; the same state in pollbench: %.1f MiB private (RssAnon) + '
		. '%.1f MiB shared library pages (RssFile)',
		$r{"poll/$N/cpu"}{anon_kib} / 1024,
		$r{"poll/$N/cpu"}{file_kib} / 1024) : '') :
     defined $proxy ? sprintf('not the daemon: a process that dumped the '
     . 'table through ct_dump peaked at %.1f MiB (procfs path %.1f MiB)',
     $proxy / 1024, ($m{"scan/$N"}{rss_procfs_kib} // 0) / 1024) : '-');
if (grep { /^portal\// } keys %r) {
	my $o = p99('portal/open');
	goal('portal: open click → first packet p99 ≤ 20 ms (period '
	     . ($pm->{period} // '?') . ' s)', defined $o ? $o <= 20000 : undef,
	     defined $o ? sprintf('p99 %s ms, p50 %s ms; the daemon alone p99 '
	     . '%s ms (%s); the page (303) p99 %s ms', ms($o),
	     ms(wall('portal/open')), ms(p99('portal/lat/open')),
	     rx(ratio($o, p99('portal/lat/open'))),
	     ms(p99('portal/open-page'))) : '-');
	my $li = p99('portal/login');
	goal('portal: login with the password hash p99 ≤ 150 ms',
	     defined $li ? $li <= 150000 : undef, defined $li ?
	     sprintf('p99 %s ms, p50 %s ms; the hash alone p50 %s ms',
	     ms($li), ms(wall('portal/login')), ms(wall('portal/hash'))) : '-');
	for (['status', 'the status page'], ['captive', '/api/captive']) {
		my $x = $r{"portal/rps/$_->[0]"};
		goal("portal: $_->[1] ≥ 2,000 requests/s, 100 clients",
		     $x ? ($x->{clients} >= 100 && $x->{rps_med} >= 2000 &&
			   !$x->{socket_errors} && !$x->{non2xx3xx}) : undef,
		     $x ? sprintf('%s req/s (%s–%s) with %d clients, %d errors',
		     $x->{rps_med}, $x->{rps_min}, $x->{rps_max}, $x->{clients},
		     $x->{socket_errors} + $x->{non2xx3xx}) : '-');
	}
	my $h = $pm->{vmhwm_kib};
	goal('portal RSS ≤ 8 MiB (VmHWM after the load)', defined $h ?
	     $h <= 8192 : undef, defined $h ? sprintf('VmHWM %.1f MiB '
	     . '(RssAnon %.1f + RssFile %.1f MiB at the end)', $h / 1024,
	     ($pm->{anon_kib} // 0) / 1024, ($pm->{file_kib} // 0) / 1024) :
	     '-');
}
print "### Goals\n\n| goal | verdict | measured |\n|---|---|---|\n";
print "$_\n" for @g;
print "\n";
for (grep { /^failed / } @meta) {
	print "FAILED (no figure): ", substr($_, 7), "\n\n";
}
for (grep { /^(poll )?not-measured/ } @meta) {
	(my $x = $_) =~ s/^(poll )?not-measured //;
	print "Not measured: $x\n\n";
}
for (grep { /^elapsed / } @meta) {
	print "Run time: ", substr($_, 8), ".\n";
}
