#!/usr/bin/perl
# naive.pl - the 1990s way to read the connection table, as the original
# tcpquotad did with its masquerading list: read every line, split it into
# fields, pick the first src= and dst= and the packet counters, and add up
# connections and packets per source host for destinations outside the LAN
# (198.18.0.0/16, 2001:db8:1::/48: ctfill's LAN).  A baseline, not a tool.
use strict;
use warnings;

my (%conns, %pkts);
while (my $line = <>) {
	my @f = split ' ', $line;
	my ($src, $dst, $pk) = (undef, undef, 0);
	foreach my $x (@f) {
		if ($x =~ /^src=(.*)/) {
			$src = $1 unless defined $src;
		} elsif ($x =~ /^dst=(.*)/) {
			$dst = $1 unless defined $dst;
		} elsif ($x =~ /^packets=(\d+)/) {
			$pk += $1;
		}
	}
	next unless defined $src && defined $dst;
	next if $dst =~ /^198\.18\./ || $dst =~ /^2001:0db8:0001:/;
	$conns{$src}++;
	$pkts{$src} += $pk;
}
printf "%d hosts\n", scalar keys %conns;
