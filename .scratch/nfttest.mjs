import { overlayRuleset, applyNft, overlayRulesetRemoval } from '/work/wt/overlay/packages/agent/dist/network/overlay-nft.js';
import { parseCidr } from '/work/wt/overlay/packages/api/dist/index.js';
const s = overlayRuleset({ bridgeName: 'skiff0', vxlanName: 'skiff.vx', clusterCidr: parseCidr('10.244.0.0/16','x'), masqueradeOutside: process.argv[2]==='m' });
console.log(s);
await applyNft(s); await applyNft(s); console.log('applied twice');
