// Runs Neo4j Community embedded, with the Bolt connector, for the hub.
//
//   javac -cp 'lib/*' -d CLASSES HubNeo4j.java     (once; the hub keeps CLASSES)
//   java -cp 'lib/*:CLASSES' HubNeo4j HOME CONF PASSWORD_FILE
//
// Every setting (Bolt address, authentication, memory) comes from CONF, which
// the hub writes; this file only starts the DBMS, sets the password of the
// `neo4j` user on first start, and shuts down cleanly on SIGTERM.
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;

public class HubNeo4j {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Path conf = Path.of(args[1]);
        String password = Files.readString(Path.of(args[2])).strip();

        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));

        GraphDatabaseService system = dbms.database("system");
        boolean firstStart = system.executeTransactionally(
                "SHOW USERS YIELD user, passwordChangeRequired WHERE user = 'neo4j' "
                        + "RETURN passwordChangeRequired",
                Map.of(),
                result -> result.hasNext() && (Boolean) result.next().get("passwordChangeRequired"));
        if (firstStart) {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        }
        System.out.println("hub-neo4j ready");
        System.out.flush();
        stopped.await();
    }
}
