#!/bin/sh
# written by bench/compare: the cluster's configuration, run once on n1 when every node is online
set -e
crm_attribute --type crm_config --name stonith-enabled --update false
crm_attribute --type rsc_defaults --name resource-stickiness --update 100
cibadmin --create --scope resources --xml-text '<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">   <instance_attributes id="vip-ia">     <nvpair id="vip-ip" name="ip" value="192.0.2.220"/>     <nvpair id="vip-cidr" name="cidr_netmask" value="24"/>     <nvpair id="vip-nic" name="nic" value="lan1"/>   </instance_attributes>   <operations>     <op id="vip-monitor" name="monitor" interval="10s" timeout="20s"/>   </operations> </primitive>'
