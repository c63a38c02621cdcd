// Feeds synthesized configuration to Apache Kafka's own config classes (the jars the local launcher uses), so a
// property Kafka rejects, or a `${env:…}` reference it cannot resolve, fails a test instead of a pod.
//   java -cp '<kafka libs>/*' CheckKafkaConfig.java broker=<server.properties> mm2=<mm2.properties>,<source>,<target> …
// For each file prints `<file> <key>=<value>` lines: a broker file as KafkaConfig parsed it, an MM2 flow as the
// MirrorSourceConnector config after the Connect worker's config providers resolved it (what Connect does at start).
import java.io.FileReader;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.ConfigProvider;
import org.apache.kafka.common.config.types.Password;

public class CheckKafkaConfig {
  public static void main(String[] args) throws Exception {
    for (String arg : args) {
      String kind = arg.substring(0, arg.indexOf('='));
      String[] parts = arg.substring(kind.length() + 1).split(",");
      Properties props = new Properties();
      try (FileReader r = new FileReader(parts[0])) { props.load(r); }
      Map<String, Object> out = new TreeMap<>();
      if (kind.equals("broker")) {
        kafka.server.KafkaConfig config = kafka.server.KafkaConfig.fromProps(props, false);
        out.putAll(config.originals());
        for (Map.Entry<String, ?> e : config.values().entrySet()) {
          Object v = e.getValue();
          out.put(e.getKey(), v instanceof Password ? ((Password) v).value() : v);
        }
      } else {
        Map<String, String> map = new HashMap<>();
        for (String k : props.stringPropertyNames()) map.put(k, props.getProperty(k));
        org.apache.kafka.connect.mirror.MirrorMakerConfig config = new org.apache.kafka.connect.mirror.MirrorMakerConfig(map);
        org.apache.kafka.connect.mirror.SourceAndTarget pair = new org.apache.kafka.connect.mirror.SourceAndTarget(parts[1], parts[2]);
        if (!config.clusterPairs().contains(pair)) throw new IllegalStateException("no enabled flow " + pair);
        Map<String, String> worker = config.workerConfig(pair);
        Map<String, ConfigProvider> providers = new HashMap<>();
        String names = worker.get("config.providers");
        if (names != null) for (String name : names.split(",")) {
          ConfigProvider p = (ConfigProvider) Class.forName(worker.get("config.providers." + name + ".class")).getDeclaredConstructor().newInstance();
          p.configure(new HashMap<>());
          providers.put(name, p);
        }
        Map<String, String> connector = config.connectorBaseConfig(pair, org.apache.kafka.connect.mirror.MirrorSourceConnector.class);
        out.putAll(worker);
        out.putAll(new ConfigTransformer(providers).transform(connector).data());
      }
      for (Map.Entry<String, Object> e : out.entrySet()) System.out.println(parts[0] + " " + e.getKey() + "=" + e.getValue());
    }
  }
}
